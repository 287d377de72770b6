import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

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

/** The set-based form of queueLeadRescore, for deletes that touch many leads at once (same locks). */
export async function queueLeadsRescore(trx: Db, scope: RescoreScope, leadIds: string[]): Promise<number> {
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
  const result = await sql`
    update events set scored_at = null, metadata = metadata - 'score_delta' - 'inorganic' - 'grouped_into'
    where org_id = ${orgId} and unit_id = ${unitId} and lead_id = any(${leadIds}::text[])`.execute(trx);
  await sql`select pg_notify('lv_ingested', ${unitId})`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}
