import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { createRule, primaryRulesetId } from '../helpers/scoring-factory.js';
import { unscored } from '../helpers/events-factory.js';

// The worker runs in the background (small batches, short poll) while the requests race it.
const ctx = setupTestApp({ SCORING_WORKER: 'true', SCORING_BATCH_SIZE: '7', SCORING_POLL_MS: '10', SCORING_CONCURRENCY: '3' });

const LEADS = 12;
// PGlite has one connection, so nothing runs concurrently there (and nothing can deadlock): fewer rounds.
const ROUNDS = inject('testDb').kind === 'postgres' ? 20 : 4;

interface Results {
  /** Every 5xx answer (and 5xx batch item), as "what status". */
  serverErrors: string[];
  deletedIds: Set<string>;
}

function record(results: Results, what: string, res: LightMyRequestResponse): LightMyRequestResponse {
  if (res.statusCode >= 500) results.serverErrors.push(`${what} ${res.statusCode}`);
  return res;
}

/** One event of each kind for every lead; answers the ids of the 'view' events written. */
async function ingestRound(s: Session, leadIds: string[], results: Results): Promise<string[]> {
  const events = leadIds.flatMap((lead_id) => ['view', 'doomed', 'click'].map((event_type) => ({ lead_id, event_type })));
  const res = record(results, 'ingest', await ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: { events } }));
  if (res.statusCode !== 202) return [];
  const items = res.json().results as Array<{ status: number; event_id?: string }>;
  for (const item of items) if (item.status >= 500) results.serverErrors.push(`ingest item ${item.status}`);
  return items.filter((_, i) => i % 3 === 0).flatMap((item) => (item.event_id ? [item.event_id] : []));
}

async function deleteType(s: Session, results: Results): Promise<void> {
  record(results, 'delete type', await ctx.app.inject({ method: 'DELETE', url: '/settings/event-types/doomed/events', headers: s.headers }));
}

async function deleteByIds(s: Session, ids: string[], results: Results): Promise<void> {
  if (ids.length === 0) return;
  const res = record(results, 'delete ids', await ctx.app.inject({ method: 'POST', url: '/events/batch-delete', headers: s.headers, payload: { ids } }));
  if (res.statusCode === 200) for (const id of ids) if (!(res.json().not_found as string[]).includes(id)) results.deletedIds.add(id);
}

async function createLeads(s: Session): Promise<string[]> {
  const events = Array.from({ length: LEADS }, (_, i) => ({ event_type: 'view', aliases: [{ alias_kind: 'external_id', raw_value: `lock-${i}` }] }));
  const res = await ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: { events } });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json().results as Array<{ lead_id: string }>).map((r) => r.lead_id);
}

async function scoredSoFar(): Promise<number> {
  const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
  return Number(/^events_scored_total (\d+)$/m.exec(res.body)?.[1] ?? 0);
}

/** After draining: every event scored once per ruleset, each total the sum of its events' deltas. */
async function expectConsistentScores(s: Session, rulesetId: string, deletedIds: Set<string>) {
  const db = ctx.database.db;
  const unit = s.unitId;
  const left = await sql<{ n: number }>`select count(*)::int as n from events where unit_id = ${unit} and ${unscored}`.execute(db);
  expect(left.rows[0]?.n).toBe(0);
  const notOnce = await sql<{ id: string; n: number }>`
    select e.id, count(es.event_id)::int as n from events e
    left join event_scores es on es.event_id = e.id and es.ruleset_id = ${rulesetId}
    where e.unit_id = ${unit} group by e.id having count(es.event_id) <> 1`.execute(db);
  expect(notOnce.rows).toEqual([]);
  const wrongTotals = await sql<{ lead_id: string; total: number; sum: number }>`
    select l.id as lead_id, coalesce(ls.total_score, 0) as total,
           coalesce((select sum(es.delta) from event_scores es join events e on e.id = es.event_id
                      where es.unit_id = l.unit_id and es.lead_id = l.id and es.ruleset_id = ${rulesetId}), 0)::int as sum
    from leads l left join lead_scores ls on ls.unit_id = l.unit_id and ls.lead_id = l.id and ls.ruleset_id = ${rulesetId}
    where l.unit_id = ${unit}`.execute(db);
  expect(wrongTotals.rows.filter((r) => r.total !== r.sum)).toEqual([]);
  // Each lead's events scored in ingestion order: every score starts where the previous one ended.
  const brokenChain = await sql<{ lead_id: string; seq: number }>`
    select lead_id, seq from (
      select e.lead_id, e.seq, es.score_before, lag(es.score_after, 1, 0) over (partition by e.lead_id order by e.seq) as previous
      from events e join event_scores es on es.event_id = e.id and es.ruleset_id = ${rulesetId}
      where e.unit_id = ${unit}) chain
    where score_before <> previous`.execute(db);
  expect(brokenChain.rows).toEqual([]);
  const orphans = await sql<{ n: number }>`
    select count(*)::int as n from event_scores where unit_id = ${unit}
    and (event_id = any(${[...deletedIds]}::uuid[]) or event_id not in (select id from events where unit_id = ${unit}))`.execute(db);
  expect(orphans.rows[0]?.n).toBe(0);
}

describe('lock order: deletes, rescoring, ingestion and the worker on the same leads', () => {
  it('answers no 5xx and leaves every total equal to the sum of its remaining events', async () => {
    const s = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'view', weight: 5 });
    await createRule(ctx.app, s, { event_type: 'click', weight: 3 });
    await createRule(ctx.app, s, { event_type: 'doomed', weight: 7 });
    const extra = await ctx.app.inject({ method: 'POST', url: '/rulesets', headers: s.headers, payload: { name: 'Extra' } });
    expect(extra.statusCode, extra.body).toBe(201);
    const extraId = extra.json().ruleset_id as string;
    await createRule(ctx.app, s, { event_type: 'view', weight: 2, ruleset_id: extraId });
    const leadIds = await createLeads(s);

    const results: Results = { serverErrors: [], deletedIds: new Set() };
    let views: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Delete some earlier 'view' events, one per lead of a rotating half of the leads.
      const victims = views.filter((_, i) => (i + round) % 2 === 0).slice(0, LEADS / 2);
      views = views.filter((id) => !victims.includes(id));
      const work: Array<Promise<unknown>> = [
        ingestRound(s, leadIds, results).then((ids) => views.push(...ids)),
        deleteType(s, results),
        deleteByIds(s, victims, results),
        ingestRound(s, [...leadIds].reverse(), results).then((ids) => views.push(...ids)),
      ];
      if (round === ROUNDS / 2) {
        work.push(ctx.app.inject({ method: 'DELETE', url: `/rulesets/${extraId}`, headers: s.headers }).then((r) => record(results, 'delete ruleset', r)));
      }
      await Promise.all(work);
    }
    // The worker scored while the requests ran (it raced them), then the rest is drained.
    expect(await scoredSoFar()).toBeGreaterThan(0);
    await ctx.app.scoringWorker.drain();

    expect(results.serverErrors).toEqual([]);
    expect(results.deletedIds.size).toBeGreaterThan(0);
    await expectConsistentScores(s, primary, results.deletedIds);
  }, 300_000);
});
