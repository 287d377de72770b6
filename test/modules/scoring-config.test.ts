import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, createCredential, expectError, signup } from '../helpers/factories.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

describe('OU scoring defaults', () => {
  it('gives a new OU the primary Engagement ruleset, Cold/Warm/Hot levels and the standard surge policy', async () => {
    const s = await signup(ctx.app);
    const rulesets = await ctx.app.inject({ method: 'GET', url: '/rulesets', headers: s.headers });
    expect(rulesets.json()).toEqual([expect.objectContaining({ name: 'Engagement', score_column: 'total_score', is_primary: true })]);
    const levels = await ctx.app.inject({ method: 'GET', url: '/levels/engagement', headers: s.headers });
    expect(levels.json().map((l: { name: string; min_score: number; max_score: number }) => [l.name, l.min_score, l.max_score])).toEqual([
      ['Cold', 0, 39],
      ['Warm', 40, 79],
      ['Hot', 80, 1_000_000],
    ]);
    const surge = await ctx.app.inject({ method: 'GET', url: '/settings/ou/surge-policy', headers: s.headers });
    expect(surge.json()).toEqual({
      org_id: s.orgId,
      unit_id: s.unitId,
      mode: 'standard',
      bands: [
        { min_events: 1, multiplier: 1 },
        { min_events: 3, multiplier: 1.25 },
        { min_events: 5, multiplier: 1.5 },
      ],
      idle_reset_seconds: 1800,
      multiplier_cap: 2,
    });
  });

  it('provisions OUs created later too', async () => {
    const s = await signup(ctx.app);
    const ou = await ctx.app.inject({ method: 'POST', url: '/org-units', headers: s.headers, payload: { name: 'Second' } });
    expect(ou.statusCode).toBe(201);
    const rows = await ctx.database.db.selectFrom('rulesets').select(['name', 'is_primary']).where('unit_id', '=', ou.json().unit_id).execute();
    expect(rows).toEqual([{ name: 'Engagement', is_primary: true }]);
  });
});

describe('rulesets and rules', () => {
  it('creates rules in the primary set by default and lists them per set', async () => {
    const s = await signup(ctx.app);
    const created = await ctx.app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: { event_type: 'email_open', weight: 5 } });
    expect(created.statusCode, created.body).toBe(201);
    const rule = created.json();
    expect(rule).toMatchObject({ event_type: 'email_open', weight: 5, active: true, start_at: null, end_at: null, created_by: s.memberId });
    const list = await ctx.app.inject({ method: 'GET', url: `/rulesets/${rule.ruleset_id}/rules`, headers: s.headers });
    expect(list.json().map((r: { rule_id: string }) => r.rule_id)).toEqual([rule.rule_id]);

    const updated = await ctx.app.inject({
      method: 'PUT',
      url: `/rules/${rule.rule_id}`,
      headers: s.headers,
      payload: { weight: 7, start_at: '2025-01-01', end_at: '2025-02-01T00:00:00Z' },
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ weight: 7, start_at: '2025-01-01T00:00:00.000Z', end_at: '2025-02-01T00:00:00.000Z' });

    const del = await ctx.app.inject({ method: 'DELETE', url: `/rules/${rule.rule_id}`, headers: s.headers });
    expect(del.statusCode).toBe(204);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `/rules/${rule.rule_id}`, headers: s.headers }), 404, 'not_found');
  });

  it('refuses a time box that ends before it starts, and a duplicate ruleset name', async () => {
    const s = await signup(ctx.app);
    const bad = await ctx.app.inject({
      method: 'POST',
      url: '/rules',
      headers: s.headers,
      payload: { event_type: 'x', weight: 1, start_at: '2025-02-01', end_at: '2025-01-01' },
    });
    expect(expectError(bad, 400, 'validation_failed').details?.map((d) => d.field)).toContain('body.end_at');
    const dup = await ctx.app.inject({ method: 'POST', url: '/rulesets', headers: s.headers, payload: { name: 'engagement' } });
    expectError(dup, 409, 'conflict');
  });

  it('refuses a rule whose start_at and end_at are both not dates with 400 naming both, and stores nothing', async () => {
    const s = await signup(ctx.app);
    const rule = await ctx.app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: { event_type: 'x', weight: 1 } });
    const bodies = [
      { method: 'POST' as const, url: '/rules', payload: { event_type: 'y', weight: 1, start_at: 'qc~Z', end_at: 'U' } },
      { method: 'PUT' as const, url: `/rules/${rule.json().rule_id}`, payload: { weight: 9, start_at: 'soon', end_at: 'later' } },
    ];
    for (const { method, url, payload } of bodies) {
      const res = await ctx.app.inject({ method, url, headers: s.headers, payload });
      expect(expectError(res, 400, 'validation_failed').details?.map((d) => d.field)).toEqual(['body.start_at', 'body.end_at']);
    }
    const rules = (await ctx.app.inject({ method: 'GET', url: '/rules', headers: s.headers })).json();
    expect(rules.map((r: { event_type: string; weight: number }) => [r.event_type, r.weight])).toEqual([['x', 1]]);
  });

  it('moves the primary flag to a new primary ruleset', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/rulesets', headers: s.headers, payload: { name: 'Marketing', is_primary: true } });
    expect(res.statusCode).toBe(201);
    const list = (await ctx.app.inject({ method: 'GET', url: '/rulesets', headers: s.headers })).json();
    expect(list.filter((r: { is_primary: boolean }) => r.is_primary).map((r: { name: string }) => r.name)).toEqual(['Marketing']);
  });
});

describe('levels', () => {
  it('answers 409 to an overlapping level and 400 to min > max, changing nothing', async () => {
    const s = await signup(ctx.app);
    const before = (await ctx.app.inject({ method: 'GET', url: '/levels/engagement', headers: s.headers })).json();
    expectError(
      await ctx.app.inject({ method: 'POST', url: '/levels/engagement', headers: s.headers, payload: { name: 'Lukewarm', min_score: 30, max_score: 45 } }),
      409,
      'conflict',
    );
    const inverted = await ctx.app.inject({ method: 'POST', url: '/levels/engagement', headers: s.headers, payload: { name: 'X', min_score: 9, max_score: 1 } });
    expect(expectError(inverted, 400, 'validation_failed').details?.map((d) => d.field)).toContain('body.max_score');
    const warm = before.find((l: { name: string }) => l.name === 'Warm');
    expectError(
      await ctx.app.inject({ method: 'PUT', url: `/levels/engagement/${warm.level_id}`, headers: s.headers, payload: { name: 'Warm', min_score: 30, max_score: 79 } }),
      409,
      'conflict',
    );
    const after = (await ctx.app.inject({ method: 'GET', url: '/levels/engagement', headers: s.headers })).json();
    expect(after).toEqual(before);
  });

  it('keeps profile and account levels apart from engagement levels', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/levels/profile', headers: s.headers, payload: { name: 'Fit', min_score: 0, max_score: 50 } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'profile', name: 'Fit', org_id: s.orgId });
    const account = await ctx.app.inject({ method: 'GET', url: '/levels/account', headers: s.headers });
    expect(account.json()).toEqual([]);
  });
});

describe('surge policy', () => {
  it.each([
    [{ mode: 'turbo' }, 'body.mode'],
    [{ mode: 'custom', multiplier_cap: 1.5, bands: [{ min_events: 1, multiplier: 1 }, { min_events: 2, multiplier: 1.8 }] }, 'body.bands.1.multiplier'],
    [{ mode: 'custom', bands: [{ min_events: 3, multiplier: 1 }, { min_events: 2, multiplier: 1.2 }] }, 'body.bands.1.min_events'],
    [{ mode: 'standard', idle_reset_seconds: -5 }, 'body.idle_reset_seconds'],
    [{ mode: 'standard', multiplier_cap: 4 }, 'body.multiplier_cap'],
  ])('refuses %j with 400 and keeps the stored policy', async (payload, field) => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'PUT', url: '/settings/ou/surge-policy', headers: s.headers, payload });
    expect(expectError(res, 400, 'validation_failed').details?.map((d) => d.field)).toContain(field);
    const stored = await ctx.app.inject({ method: 'GET', url: '/settings/ou/surge-policy', headers: s.headers });
    expect(stored.json().mode).toBe('standard');
  });

  it('stores presets with their bands and custom bands as given', async () => {
    const s = await signup(ctx.app);
    const gentle = await ctx.app.inject({ method: 'PUT', url: '/settings/ou/surge-policy', headers: s.headers, payload: { mode: 'gentle' } });
    expect(gentle.json()).toMatchObject({ mode: 'gentle', multiplier_cap: 1.5, idle_reset_seconds: 1800 });
    expect(gentle.json().bands).toHaveLength(3);
    const custom = await ctx.app.inject({
      method: 'PUT',
      url: '/settings/ou/surge-policy',
      headers: s.headers,
      payload: { mode: 'custom', bands: [{ min_events: 2, multiplier: 2 }], multiplier_cap: 2, idle_reset_seconds: 60 },
    });
    expect(custom.json()).toMatchObject({ mode: 'custom', bands: [{ min_events: 2, multiplier: 2 }], multiplier_cap: 2, idle_reset_seconds: 60 });
  });
});

describe('decays, filters and scoring settings', () => {
  it('validates windows and counts (400, nothing stored)', async () => {
    const s = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'POST', url: '/decays', headers: s.headers, payload: { inactive_for: -1, unit: 'days', decrease: 5 } }), 400);
    expectError(await ctx.app.inject({ method: 'POST', url: '/decays', headers: s.headers, payload: { inactive_for: 1, unit: 'months', decrease: 5 } }), 400);
    expectError(
      await ctx.app.inject({ method: 'POST', url: '/filters', headers: s.headers, payload: { event_type: 'x', count_threshold: 3, time_window_ms: -10 } }),
      400,
    );
    expect((await ctx.app.inject({ method: 'GET', url: '/decays', headers: s.headers })).json()).toEqual([]);
    expect((await ctx.app.inject({ method: 'GET', url: '/filters', headers: s.headers })).json()).toEqual([]);
  });

  it('creates, updates and deletes decay rules and filters', async () => {
    const s = await signup(ctx.app);
    const decay = await ctx.app.inject({ method: 'POST', url: '/decays', headers: s.headers, payload: { inactive_for: 30, unit: 'days', decrease: 25 } });
    expect(decay.statusCode).toBe(201);
    const upd = await ctx.app.inject({ method: 'PUT', url: `/decays/${decay.json().decay_id}`, headers: s.headers, payload: { decrease: 10 } });
    expect(upd.json()).toMatchObject({ inactive_for: 30, unit: 'days', decrease: 10 });
    const filter = await ctx.app.inject({
      method: 'POST',
      url: '/filters',
      headers: s.headers,
      payload: { event_type: 'page_view', count_threshold: 5, time_window_ms: 1000, group_events: true },
    });
    expect(filter.json()).toMatchObject({ event_type: 'page_view', count_threshold: 5, time_window_ms: 1000, group_events: true, org_id: s.orgId });
    expect((await ctx.app.inject({ method: 'DELETE', url: `/filters/${filter.json().filter_id}`, headers: s.headers })).statusCode).toBe(204);
  });

  it('reads and updates scoring settings; org toggles need an org admin', async () => {
    const s = await signup(ctx.app);
    const get = await ctx.app.inject({ method: 'GET', url: '/settings/scoring', headers: s.headers });
    expect(get.json()).toEqual({ allow_negative_scores: false, abm_enabled: false, session_timeout_minutes: 30 });
    const put = await ctx.app.inject({ method: 'PUT', url: '/settings/scoring', headers: s.headers, payload: { allow_negative_scores: true, session_timeout_minutes: 45 } });
    expect(put.json()).toEqual({ allow_negative_scores: true, abm_enabled: false, session_timeout_minutes: 45 });

    const owner = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, owner.memberId, 'Owner');
    expectError(await ctx.app.inject({ method: 'PUT', url: '/settings/scoring', headers: owner.headers, payload: { abm_enabled: true } }), 403, 'forbidden');
    const ok = await ctx.app.inject({ method: 'PUT', url: '/settings/scoring', headers: owner.headers, payload: { session_timeout_minutes: 20 } });
    expect(ok.json().session_timeout_minutes).toBe(20);
  });
});

describe('access and tenancy', () => {
  it('lets a Viewer read but not change scoring configuration', async () => {
    const s = await signup(ctx.app);
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expect((await ctx.app.inject({ method: 'GET', url: '/rules', headers: viewer.headers })).statusCode).toBe(200);
    for (const [method, url, payload] of [
      ['POST', '/rules', { event_type: 'x', weight: 1 }],
      ['POST', '/rulesets', { name: 'X' }],
      ['POST', '/levels/engagement', { name: 'X', min_score: 2000000, max_score: 2000001 }],
      ['POST', '/decays', { inactive_for: 1, unit: 'days', decrease: 1 }],
      ['POST', '/filters', { event_type: 'x', count_threshold: 1, time_window_ms: 1 }],
      ['PUT', '/settings/ou/surge-policy', { mode: 'off' }],
    ] as const) {
      expectError(await ctx.app.inject({ method, url, headers: viewer.headers, payload }), 403, 'forbidden');
    }
    expect(await ctx.database.db.selectFrom('scoring_rules').select('id').where('unit_id', '=', s.unitId).execute()).toEqual([]);
  });

  it('never shows or changes another OU’s configuration (404), also through Basic credentials', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    const rule = await ctx.app.inject({ method: 'POST', url: '/rules', headers: a.headers, payload: { event_type: 'x', weight: 1 } });
    const ruleId = rule.json().rule_id;
    const ruleset = rule.json().ruleset_id;
    expectError(await ctx.app.inject({ method: 'PUT', url: `/rules/${ruleId}`, headers: b.headers, payload: { weight: 9 } }), 404);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `/rules/${ruleId}`, headers: b.headers }), 404);
    expectError(await ctx.app.inject({ method: 'GET', url: `/rulesets/${ruleset}/rules`, headers: b.headers }), 404);
    expectError(await ctx.app.inject({ method: 'POST', url: '/rules', headers: b.headers, payload: { event_type: 'x', weight: 1, ruleset_id: ruleset } }), 404);
    const cred = await createCredential(ctx.app, b);
    expect((await ctx.app.inject({ method: 'GET', url: '/rules', headers: cred.headers })).json()).toEqual([]);
    const stored = await ctx.database.db.selectFrom('scoring_rules').select('weight').where('id', '=', ruleId).executeTakeFirstOrThrow();
    expect(stored.weight).toBe(1);
  });
});
