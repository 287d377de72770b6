import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { signup } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead, leadTotal, primaryRulesetId, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

async function decayRows(leadId: string) {
  return ctx.database.db
    .selectFrom('events as e')
    .innerJoin('event_scores as s', 's.event_id', 'e.id')
    .leftJoin('event_outcomes as o', (j) => j.onRef('o.org_id', '=', 'e.org_id').onRef('o.event_id', '=', 'e.id'))
    .select(['e.event_type', 'e.channel', 's.delta', 's.score_after', 's.decay_id'])
    .select(sql<Record<string, unknown>>`e.metadata || coalesce(o.patch, '{}'::jsonb)`.as('metadata'))
    .where('e.lead_id', '=', leadId)
    .where('e.event_type', '=', 'DECAY')
    .orderBy('e.seq')
    .execute();
}

describe('decay (semantics §4)', () => {
  it('applies a rule once per inactivity period, and again after new engagement re-arms it', async () => {
    const s = await signup(ctx.app);
    await putSurge(ctx.app, s, { mode: 'off' });
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'demo', weight: 40 });
    const decay = await ctx.app.inject({ method: 'POST', url: '/decays', headers: s.headers, payload: { inactive_for: 30, unit: 'days', decrease: 25 } });
    const decayId = decay.json().decay_id as string;
    const lead = await insertLead(ctx.database.db, s);
    await insertEvents(ctx.database.db, s, lead, [{ type: 'demo', at: '2025-03-01T10:00:00Z' }]);
    await ctx.app.scoringWorker.drain();

    const { runDecay, drain } = ctx.app.scoringWorker;
    expect(await runDecay(new Date('2025-03-31T09:59:59Z'))).toBe(0);
    expect(await runDecay(new Date('2025-03-31T10:00:00Z'))).toBe(1);
    await drain();
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(15);
    // The same inactivity period never decays twice, and a DECAY event does not re-arm it.
    expect(await runDecay(new Date('2025-04-20T00:00:00Z'))).toBe(0);
    expect(await runDecay(new Date('2025-06-20T00:00:00Z'))).toBe(0);

    await insertEvents(ctx.database.db, s, lead, [{ type: 'demo', at: '2025-06-21T00:00:00Z' }]);
    await drain();
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(55);
    expect(await runDecay(new Date('2025-07-21T00:00:00Z'))).toBe(1);
    await drain();
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(30);

    const rows = await decayRows(lead);
    expect(rows.map((r) => [r.delta, r.score_after, r.decay_id, r.channel])).toEqual([
      [-25, 15, decayId, 'system'],
      [-25, 30, decayId, 'system'],
    ]);
    expect(rows[0]?.metadata).toMatchObject({ channel: 'system', decay_id: decayId, score_delta: -25 });
  });

  it('never decays below 0 unless negative scores are allowed', async () => {
    const s = await signup(ctx.app);
    await putSurge(ctx.app, s, { mode: 'off' });
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'visit', weight: 10 });
    await ctx.app.inject({ method: 'POST', url: '/decays', headers: s.headers, payload: { inactive_for: 2, unit: 'hours', decrease: 25 } });
    const lead = await insertLead(ctx.database.db, s);
    await insertEvents(ctx.database.db, s, lead, [{ type: 'visit', at: '2025-03-01T10:00:00Z' }]);
    await ctx.app.scoringWorker.drain();
    expect(await ctx.app.scoringWorker.runDecay(new Date('2025-03-01T12:00:00Z'))).toBe(1);
    await ctx.app.scoringWorker.drain();
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(0);
    expect((await decayRows(lead)).map((r) => r.delta)).toEqual([-10]);

    await ctx.app.inject({ method: 'PUT', url: '/settings/scoring', headers: s.headers, payload: { allow_negative_scores: true } });
    await insertEvents(ctx.database.db, s, lead, [{ type: 'visit', at: '2025-03-02T10:00:00Z' }]);
    await ctx.app.scoringWorker.drain();
    expect(await ctx.app.scoringWorker.runDecay(new Date('2025-03-03T10:00:00Z'))).toBe(1);
    await ctx.app.scoringWorker.drain();
    expect(await leadTotal(ctx.database.db, s.unitId, lead, primary)).toBe(-15);
  });

  it('weeks are seven days and other OUs’ leads are untouched', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    await ctx.app.inject({ method: 'POST', url: '/decays', headers: a.headers, payload: { inactive_for: 1, unit: 'weeks', decrease: 5 } });
    const la = await insertLead(ctx.database.db, a);
    const lb = await insertLead(ctx.database.db, b);
    await insertEvents(ctx.database.db, a, la, [{ type: 'x', at: '2025-03-01T00:00:00Z' }]);
    await insertEvents(ctx.database.db, b, lb, [{ type: 'x', at: '2025-03-01T00:00:00Z' }]);
    await ctx.app.scoringWorker.drain();
    expect(await ctx.app.scoringWorker.runDecay(new Date('2025-03-07T23:59:59Z'))).toBe(0);
    expect(await ctx.app.scoringWorker.runDecay(new Date('2025-03-08T00:00:00Z'))).toBe(1);
    expect(await decayRows(lb)).toEqual([]);
  });
  it('applies a new rule to every idle lead of a large OU at once: one DECAY event each, queued and linked, once', async () => {
    const s = await signup(ctx.app);
    const n = 12_000; // one bind parameter per value overflowed the protocol's 65,535 past ~7,000 leads
    await sql`insert into leads (org_id, unit_id, id) select ${s.orgId}, ${s.unitId}, 'idle-' || g from generate_series(1, ${n}) g`.execute(ctx.database.db);
    await sql`insert into lead_scoring_state (org_id, unit_id, lead_id, session_events, last_engaged_at)
      select ${s.orgId}, ${s.unitId}, 'idle-' || g, 1, '2025-01-01T00:00:00.123456Z'::timestamptz from generate_series(1, ${n}) g`.execute(ctx.database.db);
    const decay = await ctx.app.inject({ method: 'POST', url: '/decays', headers: s.headers, payload: { inactive_for: 7, unit: 'days', decrease: 5 } });
    expect(decay.statusCode).toBe(201);
    const decayId = decay.json().decay_id as string;

    expect(await ctx.app.scoringWorker.runDecay(new Date('2025-02-01T00:00:00Z'))).toBe(n);
    const { rows } = await sql<{ events: number; leads: number; queued: number; linked: number }>`
      select (select count(*)::int from events e where e.unit_id = ${s.unitId} and e.event_type = 'DECAY' and e.decay_id = ${decayId}
                and e.metadata->>'decrease' = '5' and e.decay_decrease = 5) as events,
             (select count(distinct lead_id)::int from events e where e.unit_id = ${s.unitId} and e.event_type = 'DECAY') as leads,
             (select count(*)::int from scoring_queue q where q.org_id = ${s.orgId} and q.unit_id = ${s.unitId}) as queued,
             (select count(*)::int from decay_applications a join events e on e.id = a.event_id and e.lead_id = a.lead_id
               where a.unit_id = ${s.unitId} and a.decay_id = ${decayId}) as linked`.execute(ctx.database.db);
    expect(rows[0]).toMatchObject({ events: n, leads: n, queued: n, linked: n });
    expect(await ctx.app.scoringWorker.runDecay(new Date('2025-02-02T00:00:00Z'))).toBe(0);
  });
});
