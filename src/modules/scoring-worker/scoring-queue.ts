import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/**
 * The one name of the channel every path that queues events NOTIFYs (payload: the OU's id) in
 * its transaction, so the scoring worker wakes at commit: ingestion, rescoring, the decay pass.
 */
export const INGESTED_CHANNEL = 'lv_ingested';

/**
 * Lanes of the scoring queue (migrations/0014): a pass serves live traffic first, so a bulk
 * import's events (and bulk rescoring) yield to the events clients send one by one or in batches.
 */
export const SCORING_LANE = { live: 0, bulk: 1 } as const;
export type ScoringLane = (typeof SCORING_LANE)[keyof typeof SCORING_LANE];

/** An event to queue: its key, lead and ingestion order. */
export interface QueuedEvent {
  org_id: string;
  unit_id: string;
  lead_id: string;
  id: string;
  seq: number | string;
}

/**
 * Queues events for scoring in the caller's transaction (one set-based statement). Ingestion does
 * the same inside its one write statement (ingest.repository.ts); this is for the other paths that
 * insert unscored events (the decay pass, tests). An event already queued stays as it is.
 */
export async function enqueueEvents(db: Db, events: QueuedEvent[], lane: ScoringLane = SCORING_LANE.live): Promise<void> {
  if (events.length === 0) return;
  await sql`
    insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq, lane)
    select org_id, event_id, unit_id, lead_id, seq, ${lane}::smallint
    from unnest(${events.map((e) => e.org_id)}::uuid[], ${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.unit_id)}::uuid[],
                ${events.map((e) => e.lead_id)}::text[], ${events.map((e) => String(e.seq))}::bigint[])
         as q(org_id, event_id, unit_id, lead_id, seq)
    on conflict (org_id, event_id) do nothing`.execute(db);
}

/** Events of the OU still waiting to be scored (the sample data waits for its own before moving deals). */
export async function unscoredEventsOf(db: Db, t: { orgId: string; unitId: string }): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from scoring_queue where org_id = ${t.orgId} and unit_id = ${t.unitId}`.execute(db);
  return rows[0]?.n ?? 0;
}
