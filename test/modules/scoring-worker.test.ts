import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';
import { queueLeadRescore } from '../../src/modules/scoring-worker/rescore.js';
import { createScoringWorker, MAX_EVENT_FAILURES } from '../../src/modules/scoring-worker/scoring-worker.js';
import type { LiveEventMap } from '../../src/live/live-hub.js';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { scored, scoredAtOf, unscored } from '../helpers/events-factory.js';
import { createRule, insertEvents, insertLead, primaryRulesetId } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

const series3 = () => [0, 1, 2].map((i) => ({ type: 'page_view', at: new Date(Date.parse('2025-03-01T10:00:00Z') + i * 60_000) }));
async function unscoredOf(unitId: string): Promise<number> {
  const rows = await ctx.database.db.selectFrom('events').select('id').where('unit_id', '=', unitId).where(unscored).execute();
  return rows.length;
}

/** POST /events, answered 202: the stored event's id and its lead. */
async function postEvent(s: Session, payload: Record<string, unknown>): Promise<{ event_id: string; lead_id: string }> {
  const res = await ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().metadata;
}

/** Standard surge, weight 10, events 60 s apart: the n-th event of the session scores this. */
const expectedDelta = (n: number) => (n <= 2 ? 10 : n <= 4 ? 13 : 15);

async function backlog(s: Session, leads: number, perLead: number): Promise<string[]> {
  const ids: string[] = [];
  for (let l = 0; l < leads; l++) ids.push(await insertLead(ctx.database.db, s));
  const start = Date.parse('2025-03-01T10:00:00Z');
  // Interleave leads so every batch holds several leads' events.
  for (let i = 0; i < perLead; i++) {
    for (const lead of ids) await insertEvents(ctx.database.db, s, lead, [{ type: 'page_view', at: new Date(start + i * 60_000) }]);
  }
  return ids;
}

/** Every event scored once, in ingestion order per lead, with history consistent with the totals. */
async function expectExactlyOnce(s: Session, primary: string, leads: string[], perLead: number) {
  const db = ctx.database.db;
  const left = await db.selectFrom('events').select('id').where('unit_id', '=', s.unitId).where(unscored).execute();
  expect(left).toEqual([]);
  for (const lead of leads) {
    const { rows } = await sql<{ seq: number; delta: number; session_events: number; n: number }>`
      select e.seq, es.delta, es.session_events, count(*) over (partition by e.id)::int as n
      from events e join event_scores es on es.event_id = e.id and es.ruleset_id = ${primary}
      where e.lead_id = ${lead} and e.unit_id = ${s.unitId} order by e.seq`.execute(db);
    expect(rows).toHaveLength(perLead);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(rows.map((r) => r.session_events)).toEqual(rows.map((_, i) => i + 1));
    expect(rows.map((r) => r.delta)).toEqual(rows.map((_, i) => expectedDelta(i + 1)));
    const total = rows.reduce((sum, r) => sum + r.delta, 0);
    const score = await db.selectFrom('lead_scores').select('total_score').where('lead_id', '=', lead).where('ruleset_id', '=', primary).executeTakeFirstOrThrow();
    expect(score.total_score).toBe(total);
    const history = await db.selectFrom('score_history').select(['score']).where('lead_id', '=', lead).where('ruleset_id', '=', primary).orderBy('id').execute();
    expect(history).toHaveLength(perLead);
    expect(history.at(-1)?.score).toBe(total);
  }
}

describe('durable scoring worker', () => {
  it('resumes after a crash mid-way: a fresh app scores every event exactly once', async () => {
    const s = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const leads = await backlog(s, 4, 8);

    let passes = 0;
    const crashing = createScoringWorker({
      database: ctx.database,
      log: ctx.app.log,
      batchSize: 6,
      beforeCommit: () => {
        passes += 1;
        if (passes === 3) throw new Error('simulated crash before commit');
      },
    });
    expect(await crashing.runOnce()).toBeGreaterThan(0);
    expect(await crashing.runOnce()).toBeGreaterThan(0);
    await expect(crashing.runOnce()).rejects.toThrow('simulated crash');
    const scoredSoFar = await ctx.database.db.selectFrom('events').select('id').where('unit_id', '=', s.unitId).where(scored).execute();
    expect(scoredSoFar.length).toBeGreaterThan(0);
    expect(scoredSoFar.length).toBeLessThan(32);

    const restartedDb = await ctx.testDb.open();
    const fresh = await buildTestApp(restartedDb, { SCORING_WORKER: 'false', SCORING_BATCH_SIZE: '5' });
    try {
      await fresh.scoringWorker.drain();
    } finally {
      await fresh.close();
      await restartedDb.close();
    }
    await expectExactlyOnce(s, primary, leads, 8);
  });

  it.skipIf(inject('testDb').kind === 'pglite')(
    'two app instances on one PostgreSQL database share a backlog with no event scored twice (PGlite: single process, skipped)',
    async () => {
      const s = await signup(ctx.app);
      const primary = await primaryRulesetId(ctx.app, s);
      await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
      const leads = await backlog(s, 12, 10);
      const dbA = await ctx.testDb.open();
      const dbB = await ctx.testDb.open();
      const env = { SCORING_WORKER: 'false', SCORING_BATCH_SIZE: '7' };
      const [appA, appB] = await Promise.all([buildTestApp(dbA, env), buildTestApp(dbB, env)]);
      try {
        const counts = await Promise.all([appA.scoringWorker.drain(), appB.scoringWorker.drain(), appA.scoringWorker.drain(), appB.scoringWorker.drain()]);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(120);
        // Both processes took part (the backlog was really shared).
        expect(counts[0]! + counts[2]!).toBeGreaterThan(0);
        expect(counts[1]! + counts[3]!).toBeGreaterThan(0);
      } finally {
        await Promise.all([appA.close(), appB.close()]);
        await Promise.all([dbA.close(), dbB.close()]);
      }
      await expectExactlyOnce(s, primary, leads, 10);
    },
  );

  it('wakes on the lv_ingested notification and publishes score_update after the commit', async () => {
    const s = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'demo', weight: 25 });
    const lead = await insertLead(ctx.database.db, s);
    let resolveUpdate!: (data: LiveEventMap['score_update']) => void;
    const update = new Promise<LiveEventMap['score_update']>((resolve) => (resolveUpdate = resolve));
    const worker = createScoringWorker({
      database: ctx.database,
      log: ctx.app.log,
      pollMs: 60_000,
      live: {
        publish: (unitId, name, data) => {
          if (unitId === s.unitId && name === 'score_update') resolveUpdate(data as LiveEventMap['score_update']);
        },
      },
    });
    await worker.start();
    try {
      await insertEvents(ctx.database.db, s, lead, [{ type: 'demo', at: '2025-03-01T10:00:00Z' }]);
      await ctx.database.notify('lv_ingested', s.unitId);
      expect(await update).toEqual({ lead_id: lead, ruleset_id: primary, delta: 25, score: 25, level: 'Cold' });
    } finally {
      await worker.stop();
    }
  });

  it('scores an event ingested through POST /events (ingestion → worker), primary delta in its metadata', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'form_submit', weight: 12 });
    const { event_id: eventId, lead_id: leadId } = await postEvent(s, { event_type: 'form_submit', aliases: [{ alias_kind: 'email', raw_value: 'e2e@example.com' }] });
    await ctx.app.scoringWorker.drain();
    const explain = await ctx.app.inject({ method: 'GET', url: `/events/${eventId}/explain`, headers: s.headers });
    expect(explain.json().rulesets).toEqual([expect.objectContaining({ delta: 12, score_after: 12 })]);
    const score = await ctx.app.inject({ method: 'GET', url: `/leads/${leadId}/score`, headers: s.headers });
    expect(score.json()).toMatchObject({ score: 12, level: 'Cold' });
  });

  it('leaves the event row as ingestion wrote it: the score shows through its outcome (migrations/0071)', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'visit', weight: 4 });
    const { event_id: eventId } = await postEvent(s, { event_type: 'visit', aliases: [{ alias_kind: 'email', raw_value: 'rows@example.com' }], metadata: { page: '/a' } });
    // xmin is the transaction that wrote the row version: an UPDATE of the event would change it.
    const version = () => sql<{ v: string }>`select xmin::text as v from events where id = ${eventId}`.execute(ctx.database.db).then((r) => r.rows[0]?.v);
    const before = await version();
    await ctx.app.scoringWorker.drain();
    expect(await version()).toBe(before);
    const listed = await ctx.app.inject({ method: 'GET', url: '/events', headers: s.headers });
    const event = (listed.json() as Array<{ id: string; metadata: unknown; scored_at: string | null }>).find((e) => e.id === eventId);
    expect(event?.metadata).toEqual({ page: '/a', score_delta: 4 });
    expect(event?.scored_at).not.toBeNull();
    const filtered = await ctx.app.inject({ method: 'GET', url: '/events?metadata=score_delta:4', headers: s.headers });
    expect((filtered.json() as Array<{ id: string }>).map((e) => e.id)).toEqual([eventId]);
  });

  it('rescores a lead from scratch with the same result (O(events of the lead))', async () => {
    const s = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const leads = await backlog(s, 2, 6);
    await ctx.app.scoringWorker.drain();
    const [first, second] = leads as [string, string];
    const queued = await ctx.database.db.transaction().execute((trx) => queueLeadRescore(trx, { orgId: s.orgId, unitId: s.unitId }, first));
    expect(queued).toBe(6);
    const untouched = await ctx.database.db.selectFrom('events').select('id').where('lead_id', '=', second).where(unscored).execute();
    expect(untouched).toEqual([]);
    await ctx.app.scoringWorker.drain();
    await expectExactlyOnce(s, primary, leads, 6);
  });

  it('deleting events (by id or all of a type) rescores their leads: totals never keep deleted points', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    await createRule(ctx.app, s, { event_type: 'demo_request', weight: 30 });
    const lead = await insertLead(ctx.database.db, s);
    const other = await insertLead(ctx.database.db, s);
    const at = (m: number) => new Date(Date.parse('2025-03-01T10:00:00Z') + m * 3_600_000);
    const [pv1] = await insertEvents(ctx.database.db, s, lead, [
      { type: 'page_view', at: at(0) },
      { type: 'demo_request', at: at(1) },
      { type: 'page_view', at: at(2) },
    ]);
    await insertEvents(ctx.database.db, s, other, [{ type: 'demo_request', at: at(0) }]);
    await ctx.app.scoringWorker.drain();
    const scoreOf = async (id: string) =>
      (await ctx.app.inject({ method: 'GET', url: `/leads/${id}/score`, headers: s.headers })).json().score as number;
    expect(await scoreOf(lead)).toBe(50);

    const del = await ctx.app.inject({ method: 'POST', url: '/events/batch-delete', headers: s.headers, payload: { ids: [pv1] } });
    expect(del.statusCode, del.body).toBe(200);
    await ctx.app.scoringWorker.drain();
    expect(await scoreOf(lead)).toBe(40);
    const history = await ctx.database.db.selectFrom('score_history').select('score').where('lead_id', '=', lead).orderBy('id').execute();
    expect(history.map((h) => h.score)).toEqual([30, 40]);

    const all = await ctx.app.inject({ method: 'DELETE', url: '/settings/event-types/demo_request/events', headers: s.headers });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toMatchObject({ events_deleted: 2 });
    await ctx.app.scoringWorker.drain();
    expect(await scoreOf(lead)).toBe(10);
    expect(await scoreOf(other)).toBe(0);
  });

  it('sets a poison event aside after its own retries; the lead\'s later event waits for it, then is scored in order', async () => {
    const s = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const lead = await insertLead(ctx.database.db, s);
    const ids = await insertEvents(ctx.database.db, s, lead, series3());
    const poison = ids[1] as string;
    const worker = createScoringWorker({
      database: ctx.database,
      log: ctx.app.log.child({}, { level: 'silent' }),
      hooks: { failEvent: (e) => e.id === poison },
    });
    // Pass 1: e0 scored, e1 fails (attempt 1), e2 waits behind it; e1 is retried after its delay.
    expect(await worker.runOnce()).toBe(2);
    expect(await scoredAtOf(ctx.database.db, ids[2] as string)).toBeNull();
    await worker.drain();
    expect(await unscoredOf(s.unitId)).toBe(0);
    const queued = await sql<{ attempts: number }>`select attempts from scoring_set_aside where event_id = ${poison}`.execute(ctx.database.db);
    expect(queued.rows).toEqual([{ attempts: MAX_EVENT_FAILURES }]);
    const listed = await ctx.app.inject({ method: 'GET', url: '/events?limit=500', headers: s.headers });
    const poisoned = (listed.json() as Array<{ id: string; metadata: Record<string, unknown> }>).find((e) => e.id === poison);
    // Only the code reaches the event, never the error's text (which quotes the refused value).
    expect(poisoned?.metadata.scoring_error).toBe('scoring_failed:22P02');
    expect(JSON.stringify(poisoned?.metadata)).not.toContain('test hook');
    const rows = await ctx.database.db.selectFrom('event_scores').select(['event_id', 'delta']).where('ruleset_id', '=', primary).where('lead_id', '=', lead).execute();
    expect(rows.map((r) => r.event_id).sort()).toEqual([ids[0], ids[2]].sort());
  });

  it('counts scored events and their latency in /metrics', async () => {
    const s = await signup(ctx.app);
    const lead = await insertLead(ctx.database.db, s);
    await insertEvents(ctx.database.db, s, lead, [{ type: 'x', at: '2025-03-01T10:00:00Z' }]);
    await ctx.app.scoringWorker.drain();
    const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^events_scored_total [1-9]\d*$/m);
    expect(metrics.body).toMatch(/^event_to_score_latency_seconds_count [1-9]\d*$/m);
  });

  it('vacuums the scoring queue itself after every SCORING_QUEUE_VACUUM_EVERY events it took off it, not before', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    await backlog(s, 3, 4);
    const registry = new Registry();
    const worker = createScoringWorker({ database: ctx.database, log: ctx.app.log, registry, batchSize: 5, queueVacuumEvery: 10 });
    const vacuums = async () => (await registry.getSingleMetricAsString('scoring_queue_vacuums_total')).match(/^scoring_queue_vacuums_total (\d+)$/m)?.[1];
    const vacuumCount = async () => {
      const { rows } = await sql<{ n: number }>`select vacuum_count::int as n from pg_stat_user_tables where relname = 'scoring_queue'`.execute(ctx.database.db);
      return rows[0]?.n ?? 0;
    };
    const before = await vacuumCount();
    expect(await worker.runOnce()).toBe(5);
    await worker.queueVacuumSettled();
    expect(await vacuums()).toBe('0');
    expect(await vacuumCount()).toBe(before);
    expect(await worker.runOnce()).toBe(5);
    await worker.queueVacuumSettled();
    expect(await vacuums()).toBe('1');
    expect(await vacuumCount()).toBe(before + 1);
    // The count starts again: two events left, no vacuum for them.
    expect(await worker.drain()).toBe(2);
    await worker.queueVacuumSettled();
    expect(await vacuums()).toBe('1');
    expect(await unscoredOf(s.unitId)).toBe(0);
  });
});
