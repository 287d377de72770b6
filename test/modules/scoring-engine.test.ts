import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { shownEvent, unscored } from '../helpers/events-factory.js';
import { createRule, deltas, eventScores, insertEvents, insertLead, leadTotal, primaryRulesetId, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

/** Events of one type spaced `stepSeconds` apart from 2025-03-01T10:00:00Z. */
function series(type: string, count: number, stepSeconds = 60, start = Date.parse('2025-03-01T10:00:00Z')) {
  return Array.from({ length: count }, (_, i) => ({ type, at: new Date(start + i * stepSeconds * 1000) }));
}

async function orgWithSurge(mode: Record<string, unknown>): Promise<{ s: Session; primary: string }> {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, mode);
  return { s, primary: await primaryRulesetId(ctx.app, s) };
}

describe('scoring an event (semantics §3)', () => {
  it('sums the weights of every matching active rule and ignores other types and inactive rules', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    const r1 = await createRule(ctx.app, s, { event_type: 'page_view', weight: 5 });
    const r2 = await createRule(ctx.app, s, { event_type: 'page_view', weight: 3 });
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 100, active: false });
    await createRule(ctx.app, s, { event_type: 'email_open', weight: 40 });
    const lead = await insertLead(ctx.database.db, s);
    const [ev] = await insertEvents(ctx.database.db, s, lead, [{ type: 'page_view', at: '2025-03-01T10:00:00Z' }]);
    await ctx.app.scoringWorker.drain();

    const [row] = await eventScores(ctx.database.db, ev as string);
    expect(row).toMatchObject({ ruleset_id: primary, base: 8, multiplier: 1, delta: 8, score_before: 0, score_after: 8, inorganic: false, surged: false });
    expect((row?.rules as Array<{ rule_id: string }>).map((r) => r.rule_id).sort()).toEqual([r1, r2].sort());
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(8);
    const event = await shownEvent(ctx.database.db, ev as string);
    expect(event.metadata).toMatchObject({ score_delta: 8 });
    expect(event.scored_at).not.toBeNull();
  });

  it('ignores rules outside their time box (start inclusive, end exclusive) and records a 0 delta', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    await createRule(ctx.app, s, { event_type: 'webinar_join', weight: 10, start_at: '2025-01-01', end_at: '2025-02-01T00:00:00Z' });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, [
      { type: 'webinar_join', at: '2024-12-31T23:59:59Z' },
      { type: 'webinar_join', at: '2025-01-01T00:00:00Z' },
      { type: 'webinar_join', at: '2025-01-31T23:59:59Z' },
      { type: 'webinar_join', at: '2025-02-01T00:00:00Z' },
    ]);
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([0, 10, 10, 0]);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(20);
  });

  it('scores two rulesets independently; metadata.score_delta carries the primary delta', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    const sales = (await ctx.app.inject({ method: 'POST', url: '/rulesets', headers: s.headers, payload: { name: 'Sales' } })).json().ruleset_id as string;
    await createRule(ctx.app, s, { event_type: 'demo_request', weight: 10 });
    await createRule(ctx.app, s, { event_type: 'demo_request', weight: 50, ruleset_id: sales });
    await createRule(ctx.app, s, { event_type: 'pricing_view', weight: 7, ruleset_id: sales });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, [
      { type: 'demo_request', at: '2025-03-01T10:00:00Z' },
      { type: 'pricing_view', at: '2025-03-01T10:01:00Z' },
    ]);
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([10, 0]);
    expect(await deltas(ctx.database.db, sales, ids)).toEqual([50, 7]);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(10);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, sales)).toBe(57);
    const meta = await Promise.all(ids.map(async (id) => (await shownEvent(ctx.database.db, id)).metadata));
    expect(meta.map((m) => m.score_delta)).toEqual([10, 0]);
  });
});

describe('surge multiplier', () => {
  it('applies the standard bands across a session and restarts after the idle reset', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'standard' });
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const lead = await insertLead(ctx.database.db, s);
    const start = Date.parse('2025-03-01T10:00:00Z');
    const ids = await insertEvents(ctx.database.db, s, lead, [
      ...series('page_view', 6, 60, start),
      // 30 min exactly after the 6th event: still the same session (restart only when the gap exceeds it).
      { type: 'page_view', at: new Date(start + 5 * 60_000 + 1800_000) },
      // 30 min + 1 s later: a new session.
      { type: 'page_view', at: new Date(start + 5 * 60_000 + 3600_000 + 1000) },
    ]);
    await ctx.app.scoringWorker.drain();
    // n=1,2 ×1; n=3,4 ×1.25 (12.5 → 13); n=5,6,7 ×1.5; then n=1 again.
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([10, 10, 13, 13, 15, 15, 15, 10]);
    const rows = await ctx.database.db.selectFrom('event_scores').select(['event_id', 'multiplier', 'surged', 'session_events']).where('event_id', 'in', ids).execute();
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    expect(ids.map((id) => byId.get(id)?.session_events)).toEqual([1, 2, 3, 4, 5, 6, 7, 1]);
    expect(ids.map((id) => byId.get(id)?.surged)).toEqual([false, false, true, true, true, true, true, false]);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(101);
  });

  it('caps preset bands at multiplier_cap', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'standard', multiplier_cap: 1.2 });
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, series('page_view', 5));
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([10, 10, 12, 12, 12]);
  });

  it('uses custom bands and a custom idle reset', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'custom', bands: [{ min_events: 1, multiplier: 1 }, { min_events: 2, multiplier: 2 }], multiplier_cap: 2, idle_reset_seconds: 60 });
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 4 });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, [...series('page_view', 2, 60), ...series('page_view', 1, 0, Date.parse('2025-03-01T10:02:01Z'))]);
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([4, 8, 4]);
  });

  it('rounds half away from zero, for gains and losses', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'standard' });
    await ctx.app.inject({ method: 'PUT', url: '/settings/scoring', headers: s.headers, payload: { allow_negative_scores: true } });
    await createRule(ctx.app, s, { event_type: 'visit', weight: 3 });
    await createRule(ctx.app, s, { event_type: 'unsubscribe', weight: -3 });
    const up = await insertLead(ctx.database.db, s);
    const down = await insertLead(ctx.database.db, s);
    const upIds = await insertEvents(ctx.database.db, s, up, series('visit', 5));
    const downIds = await insertEvents(ctx.database.db, s, down, series('unsubscribe', 5));
    await ctx.app.scoringWorker.drain();
    // 3 × 1.25 = 3.75 → 4; 3 × 1.5 = 4.5 → 5; −4.5 → −5.
    expect(await deltas(ctx.database.db, primary, upIds)).toEqual([3, 3, 4, 4, 5]);
    expect(await deltas(ctx.database.db, primary, downIds)).toEqual([-3, -3, -4, -4, -5]);
    expect(await leadTotal(ctx.database.db, s.unitId, down, primary)).toBe(-19);
  });

  it('rounds 5 × 1.1 = 5.5 up to 6 under the gentle preset', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'gentle' });
    await createRule(ctx.app, s, { event_type: 'visit', weight: 5 });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, series('visit', 6));
    await ctx.app.scoringWorker.drain();
    // n=3..5 ×1.1 (5.5 → 6), n=6 ×1.2 = 6.
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([5, 5, 6, 6, 6, 6]);
  });
});

describe('inorganic filters', () => {
  it('scores a burst 0 with metadata.inorganic and grouped_into the first event of the burst', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    await ctx.app.inject({ method: 'POST', url: '/filters', headers: s.headers, payload: { event_type: 'page_view', count_threshold: 2, time_window_ms: 10_000, group_events: true } });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, [
      { type: 'page_view', at: '2025-03-01T10:00:00Z' },
      { type: 'page_view', at: '2025-03-01T10:00:01Z' },
      { type: 'page_view', at: '2025-03-01T10:00:02Z' },
      { type: 'page_view', at: '2025-03-01T10:00:03Z' },
      { type: 'page_view', at: '2025-03-01T10:00:20Z' },
    ]);
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([10, 10, 0, 0, 10]);
    const meta = await Promise.all(ids.map(async (id) => (await shownEvent(ctx.database.db, id)).metadata));
    expect(meta.map((m) => m.inorganic ?? false)).toEqual([false, false, true, true, false]);
    expect(meta[2]).toMatchObject({ inorganic: true, grouped_into: ids[0], score_delta: 0 });
    expect(meta[3]).toMatchObject({ inorganic: true, grouped_into: ids[0] });
    const rows = await ctx.database.db.selectFrom('event_scores').select(['event_id', 'inorganic', 'base']).where('event_id', 'in', ids).execute();
    expect(rows.filter((r) => r.inorganic).map((r) => r.event_id).sort()).toEqual([ids[2], ids[3]].sort());
    expect(rows.every((r) => r.base === 10)).toBe(true);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(30);
  });

  it('groups a sliding burst into its first event even when the window no longer reaches it', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    await createRule(ctx.app, s, { event_type: 'click', weight: 2 });
    await ctx.app.inject({ method: 'POST', url: '/filters', headers: s.headers, payload: { event_type: 'click', count_threshold: 1, time_window_ms: 1500, group_events: true } });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, series('click', 5, 1));
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([2, 0, 0, 0, 0]);
    const meta = await Promise.all(ids.map(async (id) => (await shownEvent(ctx.database.db, id)).metadata));
    expect(meta.map((m) => m.grouped_into ?? null)).toEqual([null, ids[0], ids[0], ids[0], ids[0]]);
  });
});

describe('negative floor and levels', () => {
  it('never takes a total below 0 unless the org allows negative scores; the recorded delta is the real change', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    await createRule(ctx.app, s, { event_type: 'visit', weight: 5 });
    await createRule(ctx.app, s, { event_type: 'unsubscribe', weight: -10 });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, [
      { type: 'visit', at: '2025-03-01T10:00:00Z' },
      { type: 'unsubscribe', at: '2025-03-01T10:01:00Z' },
      { type: 'unsubscribe', at: '2025-03-01T10:02:00Z' },
    ]);
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, ids)).toEqual([5, -5, 0]);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(0);

    await ctx.app.inject({ method: 'PUT', url: '/settings/scoring', headers: s.headers, payload: { allow_negative_scores: true } });
    const more = await insertEvents(ctx.database.db, s, lead, [{ type: 'unsubscribe', at: '2025-03-01T10:03:00Z' }]);
    await ctx.app.scoringWorker.drain();
    expect(await deltas(ctx.database.db, primary, more)).toEqual([-10]);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(-10);
  });

  it('moves the lead through Cold, Warm and Hot as its primary score rises', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    await createRule(ctx.app, s, { event_type: 'demo', weight: 30 });
    const lead = await insertLead(ctx.database.db, s);
    const levels: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      await insertEvents(ctx.database.db, s, lead, [{ type: 'demo', at: new Date(Date.parse('2025-03-01T10:00:00Z') + i * 60_000) }]);
      await ctx.app.scoringWorker.drain();
      const row = await ctx.database.db.selectFrom('lead_scores').select(['level', 'total_score']).where('lead_id', '=', lead).where('ruleset_id', '=', primary).executeTakeFirstOrThrow();
      levels.push(`${row.total_score}:${row.level}`);
    }
    expect(levels).toEqual(['30:Cold', '60:Warm', '90:Hot']);
  });
});

describe('what is never scored', () => {
  it('marks observe-scope events and raw rows of normalized pairs processed without score rows', async () => {
    const { s, primary } = await orgWithSurge({ mode: 'off' });
    await createRule(ctx.app, s, { event_type: 'ping', weight: 5 });
    await ctx.database.db.insertInto('event_type_settings').values({ org_id: s.orgId, unit_id: s.unitId, event_type: 'ping', max_processing_scope: 'observe' }).execute();
    await createRule(ctx.app, s, { event_type: 'raw_click', weight: 5 });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, [
      { type: 'ping', at: '2025-03-01T10:00:00Z' },
      { type: 'raw_click', at: '2025-03-01T10:00:00Z', normalized: true, normalizedParent: false },
    ]);
    await ctx.app.scoringWorker.drain();
    expect(await ctx.database.db.selectFrom('event_scores').select('event_id').where('event_id', 'in', ids).execute()).toEqual([]);
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBeUndefined();
    const left = await ctx.database.db.selectFrom('events').select('id').where('id', 'in', ids).where(unscored).execute();
    expect(left).toEqual([]);
  });
});
