import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead, primaryRulesetId, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** An OU with standard surge, rules demo 30 / page_view 10 / unsubscribe −5 and a second ruleset "Sales" (demo 100). */
async function scoredOrg() {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'standard' });
  const primary = await primaryRulesetId(ctx.app, s);
  const sales = (await ctx.app.inject({ method: 'POST', url: '/rulesets', headers: s.headers, payload: { name: 'Sales' } })).json().ruleset_id as string;
  await createRule(ctx.app, s, { event_type: 'demo', weight: 30 });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 100, ruleset_id: sales });
  const hot = await insertLead(ctx.database.db, s, 'lead-hot');
  const warm = await insertLead(ctx.database.db, s, 'lead-warm');
  const cold = await insertLead(ctx.database.db, s, 'lead-cold');
  // hot: 5 page views in one session → 10, 10, 13, 13, 15 = 61; then demo (n=6, ×1.5 = 45) → 106.
  const hotEvents = await insertEvents(ctx.database.db, s, hot, [
    ...[50, 49, 48, 47, 46].map((m) => ({ type: 'page_view', at: minutesAgo(m) })),
    { type: 'demo', at: minutesAgo(45) },
  ]);
  await insertEvents(ctx.database.db, s, warm, [{ type: 'demo', at: minutesAgo(600) }, { type: 'page_view', at: minutesAgo(20) }]);
  await insertEvents(ctx.database.db, s, cold, [{ type: 'signup', at: minutesAgo(10) }]);
  await ctx.app.scoringWorker.drain();
  return { s, primary, sales, hot, warm, cold, hotEvents };
}

const get = (s: Session, url: string) => ctx.app.inject({ method: 'GET', url, headers: s.headers });

describe('GET /leads', () => {
  it('lists leads by primary score with level and pagination metadata', async () => {
    const { s } = await scoredOrg();
    const res = await get(s, '/leads');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ total: 3, page: 1, limit: 50 });
    expect(body.leads.map((l: { lead_id: string; score: number; level: string }) => [l.lead_id, l.score, l.level])).toEqual([
      ['lead-hot', 106, 'Hot'],
      ['lead-warm', 40, 'Warm'],
      ['lead-cold', 0, 'Cold'],
    ]);
    expect(body.leads[0]).toMatchObject({ last_event_type: 'demo' });
    const page2 = (await get(s, '/leads?page=2&limit=2')).json();
    expect(page2).toMatchObject({ total: 3, page: 2, limit: 2 });
    expect(page2.leads.map((l: { lead_id: string }) => l.lead_id)).toEqual(['lead-cold']);
  });

  it('filters by score range, last event type, activity and created range', async () => {
    const { s } = await scoredOrg();
    const ids = async (q: string) => (await get(s, `/leads?${q}`)).json().leads.map((l: { lead_id: string }) => l.lead_id);
    expect(await ids('min_score=40')).toEqual(['lead-hot', 'lead-warm']);
    expect(await ids('min_score=1&max_score=100')).toEqual(['lead-warm']);
    expect(await ids('event_type=page_view')).toEqual(['lead-warm']);
    expect(await ids('last_active=7d')).toEqual(['lead-hot', 'lead-warm', 'lead-cold']);
    expect(await ids('range=yesterday')).toEqual([]);
    expect(await ids('range=today&min_score=100')).toEqual(['lead-hot']);
  });

  it('answers 400 to an out-of-range limit or an unknown range', async () => {
    const s = await signup(ctx.app);
    expectError(await get(s, '/leads?limit=0'), 400, 'validation_failed');
    expectError(await get(s, '/leads?limit=501'), 400, 'validation_failed');
    expectError(await get(s, '/leads?range=forever'), 400, 'validation_failed');
  });
});

describe('lead scores', () => {
  it('GET /leads/{id}/score answers the highest score across rulesets, or the given ruleset', async () => {
    const { s, primary, sales, hot } = await scoredOrg();
    expect((await get(s, `/leads/${hot}/score`)).json()).toEqual({ lead_id: hot, score: 150, level: 'Hot', ruleset_id: sales });
    expect((await get(s, `/leads/${hot}/score?ruleset_id=${primary}`)).json()).toEqual({ lead_id: hot, score: 106, level: 'Hot', ruleset_id: primary });
    expectError(await get(s, '/leads/nobody/score'), 404, 'not_found');
  });

  it('POST /leads/scores reads the primary ruleset by default, a ruleset by name, and 0s without a primary', async () => {
    const { s, primary, hot, warm } = await scoredOrg();
    const post = (payload: Record<string, unknown>) => ctx.app.inject({ method: 'POST', url: '/leads/scores', headers: s.headers, payload });
    const scores = (await post({ lead_ids: [warm, hot, 'unknown'] })).json();
    expect(scores.map((x: { lead_id: string; score: number }) => [x.lead_id, x.score])).toEqual([
      [warm, 40],
      [hot, 106],
    ]);
    expect((await post({ lead_ids: [hot], ruleset: 'sales' })).json()[0].score).toBe(150);
    expectError(await post({ lead_ids: [hot], ruleset: 'nope' }), 404);
    expectError(await post({ lead_ids: [] }), 400, 'validation_failed');
    await ctx.app.inject({ method: 'DELETE', url: `/rulesets/${primary}`, headers: s.headers });
    expect((await post({ lead_ids: [hot] })).json()).toEqual([{ lead_id: hot, score: 0, level: 'Cold', last_event_at: null }]);
  });

  it('GET /score-history is ordered and consistent with the totals', async () => {
    const { s, primary, hot } = await scoredOrg();
    const history = (await get(s, `/score-history?lead_id=${hot}&ruleset_id=${primary}`)).json();
    expect(history.map((h: { score: number }) => h.score)).toEqual([10, 20, 33, 46, 61, 106]);
    expect(history.map((h: { delta: number }) => h.delta)).toEqual([10, 10, 13, 13, 15, 45]);
    const all = (await get(s, `/score-history?lead_id=${hot}`)).json();
    expect(all).toHaveLength(12);
    expectError(await get(s, '/score-history?lead_id=nobody'), 404);
    expectError(await get(s, '/score-history'), 400, 'validation_failed');
  });

  it('GET /score-history: a bare end date is the whole day, start and end take both formats, garbage is a 400', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const lead = await insertLead(ctx.database.db, s, 'lead-days');
    await insertEvents(ctx.database.db, s, lead, [
      { type: 'page_view', at: '2026-03-01T00:00:00.000Z' },
      { type: 'page_view', at: '2026-03-01T23:59:59.999Z' },
      { type: 'page_view', at: '2026-03-02T00:00:00.000Z' },
    ]);
    await ctx.app.scoringWorker.drain();
    const times = async (query: string) =>
      (await get(s, `/score-history?lead_id=${lead}&${query}`)).json().map((h: { occurred_at: string }) => h.occurred_at);
    expect(await times('end=2026-03-01')).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-01T23:59:59.999Z']);
    expect(await times('start=2026-03-02')).toEqual(['2026-03-02T00:00:00.000Z']);
    expect(await times('start=2026-03-01T12:00:00Z&end=2026-03-02T00:00:00Z')).toEqual(['2026-03-01T23:59:59.999Z', '2026-03-02T00:00:00.000Z']);
    expectError(await get(s, `/score-history?lead_id=${lead}&end=yesterday`), 400, 'validation_failed');
  });
});

describe('explanations', () => {
  it('GET /events/{id}/explain matches the event-score rows', async () => {
    const { s, primary, sales, hotEvents } = await scoredOrg();
    const demo = hotEvents[5] as string;
    const res = await get(s, `/events/${demo}/explain`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ event_id: demo, lead_id: 'lead-hot', event_type: 'demo', scored: true });
    expect(body.rulesets).toEqual([
      expect.objectContaining({ ruleset_id: primary, name: 'Engagement', base: 30, multiplier: 1.5, delta: 45, score_before: 61, score_after: 106, inorganic: false, surged: true }),
      expect.objectContaining({ ruleset_id: sales, name: 'Sales', base: 100, multiplier: 1.5, delta: 150, score_before: 0, score_after: 150, surged: true }),
    ]);
    expect(body.rulesets[0].rules).toEqual([expect.objectContaining({ event_type: 'demo', weight: 30 })]);
    const rows = await ctx.database.db.selectFrom('event_scores').select(['ruleset_id', 'delta', 'score_after']).where('event_id', '=', demo).execute();
    for (const row of rows) expect(body.rulesets.find((r: { ruleset_id: string }) => r.ruleset_id === row.ruleset_id)).toMatchObject({ delta: row.delta, score_after: row.score_after });
    const other = await signup(ctx.app);
    expectError(await get(other, `/events/${demo}/explain`), 404);
  });

  it('GET /leads/{id}/explain sums drivers, surge boosts and decay in the window', async () => {
    const { s, hot, warm } = await scoredOrg();
    const body = (await get(s, `/leads/${hot}/explain`)).json();
    expect(body).toMatchObject({ lead_id: hot, score: 106, level: 'Hot', range_hours: 24, decay_applied: 0, window_points: 106 });
    expect(body.top_drivers).toEqual([
      { event_type: 'page_view', points: 61, events: 5 },
      { event_type: 'demo', points: 45, events: 1 },
    ]);
    // Boosts: 13−10, 13−10, 15−10, 45−30.
    expect(body.surge_boost.map((b: { boost: number }) => b.boost)).toEqual([3, 3, 5, 15]);
    expect(body).toMatchObject({ surge_total: 26, surge_event_count: 4 });
    expect(body.snapshot.map((r: { event_type: string; weight: number }) => [r.event_type, r.weight])).toEqual([
      ['demo', 30],
      ['page_view', 10],
    ]);
    const short = (await get(s, `/leads/${warm}/explain?hours=1`)).json();
    expect(short.top_drivers).toEqual([{ event_type: 'page_view', points: 10, events: 1 }]);
  });
});

describe('analytics', () => {
  it('ranks top leads and recent score gains by primary points', async () => {
    const { s, hot, warm } = await scoredOrg();
    expect((await get(s, '/analytics/top-leads?limit=2')).json().map((l: { lead_id: string; score: number }) => [l.lead_id, l.score])).toEqual([
      [hot, 106],
      [warm, 40],
    ]);
    const gains = (await get(s, '/analytics/score-gains?hours=1')).json();
    expect(gains.map((g: { lead_id: string; gain: number }) => [g.lead_id, g.gain])).toEqual([
      [hot, 106],
      [warm, 10],
    ]);
    expect((await get(s, '/analytics/recent-score-gains?hours=24')).json()[1]).toMatchObject({ lead_id: warm, gain: 40, events: 2, score: 40 });
  });
});

describe('access', () => {
  it('lets a Viewer and a Basic credential read; other OUs see 404 or nothing', async () => {
    const { s, hot } = await scoredOrg();
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expect((await get(viewer, `/leads/${hot}/score`)).statusCode).toBe(200);
    const cred = await createCredential(ctx.app, s);
    expect((await ctx.app.inject({ method: 'GET', url: '/leads', headers: cred.headers })).json().total).toBe(3);
    const other = await signup(ctx.app);
    expectError(await get(other, `/leads/${hot}/score`), 404);
    expectError(await get(other, `/leads/${hot}/explain`), 404);
    expect((await get(other, '/leads')).json()).toMatchObject({ leads: [], total: 0 });
    expect((await get(other, '/analytics/top-leads')).json()).toEqual([]);
  });
});
