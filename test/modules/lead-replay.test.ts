import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { lockLeads } from '../../src/db/locks.js';
import { createLeadReplay } from '../../src/modules/scoring-worker/lead-replay.js';
import type { PassOutcome } from '../../src/modules/scoring-worker/scoring-pass.js';
import { queueLeadRescore } from '../../src/modules/scoring-worker/rescore.js';
import { settingsOfPass } from '../../src/modules/scoring-worker/scoring-worker.js';
import { fireTriggersLive } from '../../src/modules/triggers/trigger-live.js';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { createRule, insertLead, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });
const EVENTS = 30;
const PASS_EVENTS = 7;

/** A replay as the worker builds it (its settings, the app's triggers), passes of PASS_EVENTS; `passes` collects what each committed. */
function replayOf(passes: number[]) {
  const log = ctx.app.log;
  const report = (o: PassOutcome) => passes.push(o.scored.reduce((n, r) => n + r.events.length, 0) + o.failed.length);
  const replay = createLeadReplay({ database: ctx.database, log, hooks: {}, afterScoring: fireTriggersLive, beforeCommit: undefined, settingsOfPass, report, passEvents: PASS_EVENTS });
  replay.start();
  return replay;
}

/** Lead `ld` with EVENTS events (page_view, demo; some in bursts, sessions of several), scored live by the worker. */
async function liveScoredLead(): Promise<Session> {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'standard' });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 20 });
  const filter = await ctx.app.inject({ method: 'POST', url: '/filters', headers: s.headers, payload: { event_type: 'demo', count_threshold: 2, time_window_ms: 1_800_000, group_events: true } });
  expect(filter.statusCode, filter.body).toBe(201);
  await insertLead(ctx.database.db, s, 'ld');
  await sql`
    with e as (
      insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at)
      select ${s.orgId}::uuid, ${s.unitId}::uuid, 'ld', case when g % 3 = 0 then 'demo' else 'page_view' end, 'web', '{}'::jsonb,
             timestamptz '2026-03-02T09:00:00Z' + make_interval(mins => g * 4 + (g / 10) * 60)
      from generate_series(1, ${EVENTS}::int) g
      returning org_id, id, unit_id, lead_id, seq)
    insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq, lane) select org_id, id, unit_id, lead_id, seq, 0 from e`.execute(ctx.database.db);
  await ctx.app.scoringWorker.drain();
  return s;
}

/** The lead's rows the worker writes, without when or in which sequence they were written. */
async function scoreRows(s: Session) {
  const q = (text: ReturnType<typeof sql>) => text.execute(ctx.database.db).then((r) => r.rows);
  return {
    eventScores: await q(sql`select event_id, ruleset_id, event_type, rules, base, multiplier, delta, score_before, score_after, inorganic, surged,
        session_events, occurred_at from event_scores where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = 'ld' order by occurred_at, event_id, ruleset_id`),
    leadScores: await q(sql`select ruleset_id, total_score, level, last_event_at from lead_scores where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = 'ld' order by ruleset_id`),
    state: await q(sql`select session_events, session_last_at, last_engaged_at, last_event_at, last_event_type from lead_scoring_state
      where org_id = ${s.orgId} and unit_id = ${s.unitId} and lead_id = 'ld'`),
    events: await q(sql`select e.id, e.metadata || coalesce(o.patch, '{}'::jsonb) as metadata, o.burst_root, coalesce(o.scored_at, e.scored_at) is not null as scored
      from events e left join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id
      where e.org_id = ${s.orgId} and e.unit_id = ${s.unitId} and e.lead_id = 'ld' order by e.seq`),
  };
}

async function queuedOf(s: Session): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from scoring_queue where org_id = ${s.orgId} and unit_id = ${s.unitId}`.execute(ctx.database.db);
  return rows[0]?.n ?? 0;
}

function rescore(s: Session): Promise<number> {
  return ctx.database.db.transaction().execute(async (trx) => {
    await lockLeads(trx, s.unitId, ['ld']);
    return queueLeadRescore(trx, s, 'ld');
  });
}

const lead = (s: Session) => ({ org_id: s.orgId, unit_id: s.unitId, lead_id: 'ld' });

describe('lead replay (the worker replays a rescored lead in passes of its own)', () => {
  it('writes exactly the rows the worker wrote live, in passes of its size, and leaves nothing queued (PostgreSQL; PGlite leaves it to the loops)', async () => {
    const s = await liveScoredLead();
    const live = await scoreRows(s);
    expect(live.eventScores).toHaveLength(EVENTS);
    expect((live.events as Array<{ metadata: { inorganic?: boolean } }>).some((e) => e.metadata.inorganic)).toBe(true);
    expect(await rescore(s)).toBe(EVENTS);
    const passes: number[] = [];
    const done = replayOf(passes).replay(lead(s));
    if (ctx.database.kind === 'pglite') {
      expect(done).toBeNull();
      expect(await queuedOf(s)).toBe(EVENTS);
      await ctx.app.scoringWorker.drain();
    } else {
      await done;
      expect(passes).toEqual([7, 7, 7, 7, 2]);
    }
    expect(await queuedOf(s)).toBe(0);
    expect(await scoreRows(s)).toEqual(live);
  });

  it.runIf(process.env.TEST_DATABASE_URL)('waits for a lead another transaction holds, then replays all of it', async () => {
    const s = await liveScoredLead();
    const live = await scoreRows(s);
    await rescore(s);
    const passes: number[] = [];
    let release = () => {};
    const held = ctx.database.db.transaction().execute(async (trx) => {
      await lockLeads(trx, s.unitId, ['ld']);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((r) => setTimeout(r, 50));
    const done = replayOf(passes).replay(lead(s));
    await new Promise((r) => setTimeout(r, 100));
    expect(passes).toEqual([]);
    expect(await queuedOf(s)).toBe(EVENTS);
    release();
    await held;
    await done;
    expect(passes.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    expect(await scoreRows(s)).toEqual(live);
  });
});
