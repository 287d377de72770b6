import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (s: Session, method: Method, url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function ok<T = any>(s: Session, method: Method, url: string, payload: unknown, status: number): Promise<T> {
  const res = await call(s, method, url, payload);
  expect(res.statusCode, res.body).toBe(status);
  return res.json() as T;
}

async function event(s: Session, leadId: string, metadata: Record<string, unknown>) {
  await ok(s, 'POST', '/events', { lead_id: leadId, event_type: 'page_view', metadata }, 202);
}

describe('profile field mappings', () => {
  it('copies event metadata into the lead at ingestion, by update behaviour', async () => {
    const s = await signup(ctx.app);
    const m = await ok(s, 'POST', '/profile/mappings', { source_field: 'utm_source', profile_property: 'acquisition_source' }, 201);
    expect(m).toMatchObject({ source_field: 'utm_source', profile_property: 'acquisition_source', update_behavior: 'always_latest' });
    await ok(s, 'POST', '/profile/mappings', { source_field: 'plan', profile_property: 'first_plan', update_behavior: 'set_once' }, 201);
    await ok(s, 'POST', '/profile/mappings', { source_field: 'page', profile_property: 'page', update_behavior: 'append' }, 201);
    await ok(s, 'POST', '/leads', { id: 'ld-1', metadata: { keep: 1 } }, 201);
    await event(s, 'ld-1', { utm_source: 'google', plan: 'free', page: 'a' });
    await event(s, 'ld-1', { utm_source: 'bing', plan: 'pro', page: 'b' });
    for (const p of ['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']) await event(s, 'ld-1', { page: p });
    await event(s, 'ld-1', { utm_source: null });
    const lead = (await ok(s, 'GET', '/leads/ld-1', undefined, 200)).lead;
    expect(lead.metadata).toEqual({
      keep: 1,
      acquisition_source: 'bing',
      first_plan: 'free',
      page: 'k',
      // the last 10 distinct values, oldest first: "a" moved to the end when it came again, then b fell off
      page_list: ['a', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'],
    });
    const profile = await ok(s, 'GET', '/leads/ld-1/profile', undefined, 200);
    expect(profile.properties).toEqual({ acquisition_source: 'bing', first_plan: 'free', page: 'k' });
    expect(await ok(s, 'GET', '/profile/properties', undefined, 200)).toEqual(['acquisition_source', 'first_plan', 'keep', 'page', 'page_list']);
  });

  it('lists, updates and deletes mappings; refuses duplicates, bad bodies, unknown ids and viewers', async () => {
    const s = await signup(ctx.app);
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    const a = await ok(s, 'POST', '/profile/mappings', { source_field: 'x', profile_property: 'y' }, 201);
    const b = await ok(s, 'POST', '/profile/mappings', { source_field: 'x', profile_property: 'z' }, 201);
    expectError(await call(s, 'POST', '/profile/mappings', { source_field: 'x', profile_property: 'y' }), 409, 'conflict');
    expectError(await call(s, 'PUT', `/profile/mappings/${b.id}`, { source_field: 'x', profile_property: 'y' }), 409, 'conflict');
    expectError(await call(s, 'POST', '/profile/mappings', { source_field: '', profile_property: 'y' }), 400, 'validation_failed');
    expectError(await call(s, 'POST', '/profile/mappings', { source_field: 'q', profile_property: 'y', update_behavior: 'sometimes' }), 400, 'validation_failed');
    expectError(await call(s, 'PUT', '/profile/mappings/00000000-0000-4000-8000-000000000000', { source_field: 'q', profile_property: 'y' }), 404, 'not_found');
    expectError(await call(s, 'PUT', '/profile/mappings/nope', { source_field: 'q', profile_property: 'y' }), 400, 'validation_failed');
    expectError(await call(viewer, 'POST', '/profile/mappings', { source_field: 'q', profile_property: 'y' }), 403, 'forbidden');
    const updated = await ok(s, 'PUT', `/profile/mappings/${a.id}`, { source_field: 'x2', profile_property: 'y', update_behavior: 'append' }, 200);
    expect(updated).toMatchObject({ id: a.id, source_field: 'x2', update_behavior: 'append' });
    expect((await ok(viewer, 'GET', '/profile/mappings', undefined, 200)).map((m: any) => m.id)).toEqual([a.id, b.id]);
    expect((await call(s, 'DELETE', `/profile/mappings/${b.id}`)).statusCode).toBe(204);
    expectError(await call(s, 'DELETE', `/profile/mappings/${b.id}`), 404, 'not_found');
    expect((await ok(s, 'GET', '/profile/mappings', undefined, 200)).map((m: any) => m.source_field)).toEqual(['x2']);
  });
});

describe('profile rule sets, rules and score', () => {
  it('scores a lead with the primary ruleset using the segment operators, and maps it to a profile level', async () => {
    const s = await signup(ctx.app);
    const other = await ok(s, 'POST', '/profile/rulesets', { name: 'Other' }, 201);
    const main = await ok(s, 'POST', '/profile/rulesets', { name: 'Main', is_primary: true }, 201);
    await ok(s, 'POST', `/profile/rulesets/${other.id}/rules`, { profile_property: 'industry', condition: 'equals', comparison_value: 'SaaS', weight: 1000 }, 201);
    const rules = [
      { profile_property: 'industry', condition: 'equals', comparison_value: 'SaaS', weight: 20 },
      { profile_property: 'employees', condition: 'gte', comparison_value: '100', weight: 15 },
      { profile_property: 'title', condition: 'contains', comparison_value: 'VP', weight: 10 },
      { profile_property: 'country', condition: 'in', comparison_value: 'DE, FR', weight: 5 },
      { profile_property: 'company.size', condition: 'lt', comparison_value: '10', weight: 7 },
      { profile_property: 'phone', condition: 'exists', comparison_value: '', weight: 3 },
      { profile_property: 'plan', condition: 'not_equals', comparison_value: 'free', weight: -4 },
    ];
    for (const r of rules) await ok(s, 'POST', `/profile/rulesets/${main.id}/rules`, r, 201);
    await ok(s, 'POST', '/levels/profile', { name: 'Fit', min_score: 40, max_score: 100 }, 201);
    await ok(s, 'POST', '/leads', { id: 'fit', metadata: { industry: 'SaaS', employees: '250', title: 'VP Sales', country: 'FR', company: { size: 5 }, plan: 'free' } }, 201);
    await ok(s, 'POST', '/leads', { id: 'unfit', metadata: { industry: 'saas', employees: 99, plan: 'pro' } }, 201);
    // 20 + 15 + 10 + 5 + 7 = 57 (no phone, plan is free)
    expect(await ok(s, 'GET', '/leads/fit/profile', undefined, 200)).toMatchObject({ profile_score: 57, profile_level: 'Fit', ruleset_id: main.id });
    // only plan != free: -4
    expect(await ok(s, 'GET', '/leads/unfit/profile', undefined, 200)).toMatchObject({ profile_score: -4, profile_level: null });
    // Disabling the primary falls back to the oldest enabled ruleset.
    await ok(s, 'PUT', `/profile/rulesets/${main.id}`, { name: 'Main', enabled: false, is_primary: true }, 200);
    expect(await ok(s, 'GET', '/leads/fit/profile', undefined, 200)).toMatchObject({ profile_score: 1000, ruleset_id: other.id });
  });

  it('keeps one primary, updates and deletes rules, and refuses bad rules, names and ids', async () => {
    const s = await signup(ctx.app);
    const a = await ok(s, 'POST', '/profile/rulesets', { name: 'A', is_primary: true }, 201);
    const b = await ok(s, 'POST', '/profile/rulesets', { name: 'B', is_primary: true }, 201);
    expect((await ok(s, 'GET', '/profile/rulesets', undefined, 200)).map((r: any) => [r.name, r.is_primary])).toEqual([['A', false], ['B', true]]);
    expectError(await call(s, 'POST', '/profile/rulesets', { name: 'a' }), 409, 'conflict');
    expectError(await call(s, 'PUT', `/profile/rulesets/${b.id}`, { name: 'A' }), 409, 'conflict');
    const rule = { profile_property: 'n', condition: 'gt', comparison_value: '5', weight: 3 };
    const made = await ok(s, 'POST', `/profile/rulesets/${a.id}/rules`, rule, 201);
    expect(made).toMatchObject({ ruleset_id: a.id, profile_property: 'n', condition: 'gt', comparison_value: '5', weight: 3, ui_order: 0 });
    const before = await ok(s, 'GET', `/profile/rulesets/${a.id}/rules`, undefined, 200);
    expectError(await call(s, 'POST', `/profile/rulesets/${a.id}/rules`, { ...rule, condition: 'bigger' }), 400, 'validation_failed');
    expectError(await call(s, 'POST', `/profile/rulesets/${a.id}/rules`, { ...rule, comparison_value: 'five' }), 400, 'validation_failed');
    expectError(await call(s, 'POST', `/profile/rulesets/${a.id}/rules`, { ...rule, weight: 1.5 }), 400, 'validation_failed');
    expectError(await call(s, 'POST', `/profile/rulesets/${a.id}/rules`, { ...rule, profile_property: 'a..b' }), 400, 'validation_failed');
    expectError(await call(s, 'PUT', `/profile/rulesets/${a.id}/rules/${made.id}`, { comparison_value: 'x' }), 400, 'validation_failed');
    expectError(await call(s, 'PUT', `/profile/rulesets/${b.id}/rules/${made.id}`, { weight: 1 }), 404, 'not_found');
    expectError(await call(s, 'POST', '/profile/rulesets/00000000-0000-4000-8000-000000000000/rules', rule), 404, 'not_found');
    expect(await ok(s, 'GET', `/profile/rulesets/${a.id}/rules`, undefined, 200)).toEqual(before);
    const changed = await ok(s, 'PUT', `/profile/rulesets/${a.id}/rules/${made.id}`, { condition: 'equals', comparison_value: 'x', weight: 9 }, 200);
    expect(changed).toMatchObject({ condition: 'equals', comparison_value: 'x', weight: 9, profile_property: 'n' });
    expect((await call(s, 'DELETE', `/profile/rulesets/${a.id}/rules/${made.id}`)).statusCode).toBe(204);
    expect((await call(s, 'DELETE', `/profile/rulesets/${a.id}`)).statusCode).toBe(204);
    expectError(await call(s, 'GET', `/profile/rulesets/${a.id}/rules`), 404, 'not_found');
  });
});

describe('POST /admin/profile-mappings/apply', () => {
  it('replays the mappings from existing events as a job with progress', async () => {
    const s = await signup(ctx.app);
    await ok(s, 'POST', '/leads', { id: 'old-1' }, 201);
    await ok(s, 'POST', '/leads', { id: 'old-2' }, 201);
    await ok(s, 'POST', '/leads', { id: 'old-3' }, 201);
    await event(s, 'old-1', { utm_source: 'a' });
    await event(s, 'old-1', { utm_source: 'b' });
    await event(s, 'old-2', { utm_source: 'c' });
    await ok(s, 'POST', '/profile/mappings', { source_field: 'utm_source', profile_property: 'src' }, 201);
    const job = await ok(s, 'POST', '/admin/profile-mappings/apply', undefined, 202);
    expect(job).toMatchObject({ kind: 'profile_mappings_apply', status: 'queued', leads_processed: 0, leads_updated: 0 });
    await ctx.app.jobs.drain();
    expect(await ok(s, 'GET', job.status_url, undefined, 200)).toMatchObject({ status: 'completed', leads_processed: 3, leads_updated: 2 });
    expect((await ok(s, 'GET', '/leads/old-1', undefined, 200)).lead.metadata).toEqual({ src: 'b' });
    expect((await ok(s, 'GET', '/leads/old-3', undefined, 200)).lead.metadata).toEqual({});
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expectError(await call(viewer, 'POST', '/admin/profile-mappings/apply'), 403, 'forbidden');
    expectError(await call(s, 'GET', '/admin/jobs/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
  });
});
