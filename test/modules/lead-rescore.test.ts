import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });

const call = (s: Session, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

const T0 = Date.parse('2026-03-02T09:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

async function event(s: Session, leadId: string, eventType: string, minutes: number) {
  const res = await call(s, 'POST', '/events', { lead_id: leadId, event_type: eventType, timestamp: at(minutes) });
  expect(res.statusCode, res.body).toBe(202);
}

/**
 * Every row the scoring worker writes for a lead, without the columns that only say when or in which
 * sequence a row was written (event_scores.scored_at and seq, history id and created_at, updated_at).
 */
async function scoreRows(s: Session, leadId: string) {
  const db = ctx.database.db;
  const q = (text: ReturnType<typeof sql>) => text.execute(db).then((r) => r.rows);
  return {
    eventScores: await q(sql`select event_id, ruleset_id, lead_id, event_type, rules, base, multiplier, delta, score_before,
        score_after, inorganic, surged, session_events, decay_id, occurred_at
      from event_scores where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = ${leadId} order by occurred_at, event_id, ruleset_id`),
    leadScores: await q(sql`select ruleset_id, total_score, level, last_event_at from lead_scores
      where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = ${leadId} order by ruleset_id`),
    history: await q(sql`select ruleset_id, event_id, score, delta, occurred_at from score_history
      where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = ${leadId} order by occurred_at, event_id, ruleset_id`),
    state: await q(sql`select session_events, session_last_at, last_engaged_at, last_event_at, last_event_type from lead_scoring_state
      where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = ${leadId}`),
    eventMetadata: await q(sql`select e.id, e.metadata || coalesce(o.patch, '{}'::jsonb) as metadata, o.burst_root
      from events e left join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id
      where e.org_id = ${s.orgId} and e.unit_id = ${s.unitId} and e.lead_id = ${leadId} order by e.seq`),
  };
}

/**
 * An OU with a second ruleset, standard surge, an inorganic filter and a lead "ld-1" scored live:
 * page_view 10 (+3 in "Second"), demo 20; events at minutes 0, 5, 10, 12 (a session of four), 100.
 */
async function liveScoredLead() {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'standard' });
  const second = await call(s, 'POST', '/rulesets', { name: 'Second' });
  expect(second.statusCode, second.body).toBe(201);
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 20 });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 3, ruleset_id: second.json().ruleset_id ?? second.json().id });
  const filter = await call(s, 'POST', '/filters', { event_type: 'demo', count_threshold: 1, time_window_ms: 600_000, group_events: false });
  expect(filter.statusCode, filter.body).toBe(201);
  expect((await call(s, 'POST', '/leads', { id: 'ld-1' })).statusCode).toBe(201);
  for (const [type, minutes] of [['page_view', 0], ['page_view', 5], ['demo', 10], ['demo', 12], ['page_view', 100]] as const) {
    await event(s, 'ld-1', type, minutes);
    await ctx.app.scoringWorker.drain();
  }
  return s;
}

describe('POST /leads/{leadID}/rescore', () => {
  it('rebuilds exactly the rows the worker wrote live, and a second rescore gives the same rows again', async () => {
    const s = await liveScoredLead();
    const live = await scoreRows(s, 'ld-1');
    // Hand-computed primary deltas: 10 (×1), 10 (×1), 25 (demo ×1.25, 3rd in session), 0 (inorganic), 10 (new session).
    const primary = (await call(s, 'GET', '/score-history?lead_id=ld-1')).json();
    expect(live.eventScores).toHaveLength(10);
    expect((await call(s, 'GET', '/leads/ld-1/score')).json().score).toBe(55);
    expect(primary.length).toBeGreaterThan(0);

    const res = await call(s, 'POST', '/leads/ld-1/rescore');
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ lead_id: 'ld-1', status: 'queued', queued_events: 5 });
    expect((await scoreRows(s, 'ld-1')).eventScores).toEqual([]);
    await ctx.app.scoringWorker.drain();
    expect(await scoreRows(s, 'ld-1')).toEqual(live);

    expect((await call(s, 'POST', '/leads/ld-1/rescore')).statusCode).toBe(202);
    await ctx.app.scoringWorker.drain();
    expect(await scoreRows(s, 'ld-1')).toEqual(live);
  });

  it('applies the current rules: a changed weight is replayed over the whole history', async () => {
    const s = await liveScoredLead();
    const rules = (await call(s, 'GET', '/rules')).json() as Array<{ rule_id: string; event_type: string; weight: number }>;
    const pageView = rules.find((r) => r.event_type === 'page_view' && r.weight === 10);
    expect((await ctx.app.inject({ method: 'PUT', url: `/rules/${pageView?.rule_id}`, headers: s.headers, payload: { weight: 1 } })).statusCode).toBe(200);
    await ctx.app.scoringWorker.drain();
    expect((await call(s, 'POST', '/leads/ld-1/rescore')).statusCode).toBe(202);
    await ctx.app.scoringWorker.drain();
    // 1 + 1 + 25 + 0 + 1
    expect((await call(s, 'GET', '/leads/ld-1/score')).json().score).toBe(28);
  });

  it('answers 404 for unknown and foreign leads, 400 for a bad id, 403 for a viewer, and changes nothing', async () => {
    const s = await liveScoredLead();
    const other = await signup(ctx.app);
    expect((await call(other, 'POST', '/leads', { id: 'foreign' })).statusCode).toBe(201);
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    const before = await scoreRows(s, 'ld-1');
    expectError(await call(s, 'POST', '/leads/nobody/rescore'), 404, 'not_found');
    expectError(await call(s, 'POST', '/leads/foreign/rescore'), 404, 'not_found');
    expectError(await call(s, 'POST', `/leads/${'x'.repeat(129)}/rescore`), 400, 'validation_failed');
    expectError(await call(s, 'POST', '/leads/bad%20id/rescore'), 400, 'validation_failed');
    expectError(await call(viewer, 'POST', '/leads/ld-1/rescore'), 403, 'forbidden');
    expect(await scoreRows(s, 'ld-1')).toEqual(before);
  });
});
