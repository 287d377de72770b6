import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/**
 * Queues a lead's whole history for rescoring in the caller's transaction (e.g. after a merge or a
 * rule change): drops its score rows and state and marks its events unscored, so the worker
 * replays them in ingestion order. Cost is O(events of the lead), never O(all events).
 * Returns how many events were queued; the caller NOTIFYs `lv_ingested` after committing.
 */
export async function queueLeadRescore(trx: Db, unitId: string, leadId: string): Promise<number> {
  for (const table of ['event_scores', 'score_history', 'lead_scores', 'lead_scoring_state'] as const) {
    await trx.deleteFrom(table).where('unit_id', '=', unitId).where('lead_id', '=', leadId).execute();
  }
  const result = await sql`
    update events set scored_at = null, metadata = metadata - 'score_delta' - 'inorganic' - 'grouped_into'
    where unit_id = ${unitId} and lead_id = ${leadId}`.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}
