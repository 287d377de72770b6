import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { WORKER_METADATA_KEYS } from '../../db/event-outcomes.js';
import { INGESTED_CHANNEL, SCORING_LANE } from './scoring-queue.js';

/** The OU whose leads are queued (every statement filters by both, org_id first). */
export interface RescoreScope {
  orgId: string;
  unitId: string;
}

/**
 * Queues a lead's whole history for rescoring in the caller's transaction (e.g. after a merge or a
 * rule change): drops its score rows and state and marks its events unscored, so the worker
 * replays them in ingestion order. Cost is O(events of the lead), never O(all events).
 * The caller must already hold the lead's lock (lockLeads) or the OU's exclusive lock
 * (lockUnitExclusive), taken before it touched any of the lead's rows (src/db/locks.ts).
 * Returns how many events were queued; the NOTIFY that wakes the worker goes out at commit.
 */
export async function queueLeadRescore(trx: Db, scope: RescoreScope, leadId: string): Promise<number> {
  return queueLeadsRescore(trx, scope, [leadId]);
}

/**
 * The set-based form of queueLeadRescore, for deletes that touch many leads at once (same locks).
 * Queued in the bulk lane, one lead or many: a lead's history sits in the queue in its old `seq`
 * order, so in the live lane it would come before every other lead's new events and the loops'
 * claims would fill their passes with it while those wait (measured: a 10k-event rescore held
 * another lead's events 2.5–3.2 s at p50). A rescored lead is replayed in passes of its own
 * (lead-replay.ts), whatever its lane.
 * A set-aside event of these leads gets another chance: its set-aside record goes, it is queued again.
 * `moveTo` (a merge): the same UPDATE that unscores the leads' events moves them all to that lead,
 * one write of each event (and of its 8 index entries) instead of a move and then an unscore.
 */
export async function queueLeadsRescore(trx: Db, scope: RescoreScope, leadIds: string[], moveTo?: string): Promise<number> {
  const { orgId, unitId } = scope;
  if (leadIds.length === 0) return 0;
  // score_history is a view of event_scores.
  for (const table of ['event_scores', 'lead_scores', 'lead_scoring_state'] as const) {
    // One array parameter, not one per lead: a bulk delete can touch more leads than bind slots.
    await trx
      .deleteFrom(table)
      .where('org_id', '=', orgId)
      .where('unit_id', '=', unitId)
      .where(sql<boolean>`lead_id = any(${leadIds}::text[])`)
      .execute();
  }
  await sql`delete from scoring_set_aside where org_id = ${orgId} and unit_id = ${unitId} and lead_id = any(${leadIds}::text[])`.execute(trx);
  const lane = SCORING_LANE.bulk;
  const { rows } = await sql<{ n: number }>`
    with marked as (
      update events set lead_id = ${moveTo ?? sql.ref('lead_id')}, scored_at = null,
                        -- the worker's keys an event scored before migrations/0071 still carries
                        metadata = metadata - ${WORKER_METADATA_KEYS}::text[]
      where org_id = ${orgId} and unit_id = ${unitId} and lead_id = any(${leadIds}::text[])
      returning org_id, id, unit_id, lead_id, seq
    ),
    unscored as (
      delete from event_outcomes o using marked m where o.org_id = m.org_id and o.event_id = m.id
    ),
    queued as (
      insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq, lane)
      select org_id, id, unit_id, lead_id, seq, ${lane}::smallint from marked
      -- lead_id too: a merge moves unscored events to the target before queueing it.
      on conflict (org_id, event_id) do update set attempts = 0, retry_at = null, lead_id = excluded.lead_id
    )
    select count(*)::int as n from marked`.execute(trx);
  await sql`select pg_notify(${INGESTED_CHANNEL}, ${unitId})`.execute(trx);
  return rows[0]?.n ?? 0;
}
