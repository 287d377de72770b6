import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { lockLeads } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import { AppError, conflict, notFound } from '../../http/errors.js';
import { moveLeadDealContacts } from '../deals/deals.service.js';
import { countLeadEvents, truncateLeadEvents } from '../events/events.service.js';
import { moveLeadOrders } from '../orders/orders.service.js';
import { queueLeadsRescore } from '../scoring-worker/rescore.js';
import { createLeadsRepository, type LeadRow } from './leads.repository.js';

export interface MergeInput {
  targetLeadId: string;
  sourceLeadIds: string[];
  /** `none` (default) moves every event; `keep_latest` moves only the `max_events` newest source events. */
  truncate: { policy: 'none' | 'keep_latest'; max_events?: number | undefined };
}

export interface MergeOutcome {
  target: LeadRow;
  mergedSources: string[];
  movedEvents: number;
  truncatedEvents: number;
  rescore: { status: 'queued'; queued_events: number };
}

/** Refuses a merge the leads' current rows do not allow (read under the leads' locks). */
function checkMergeable(rows: LeadRow[], target: string, sources: string[]): LeadRow {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const targetRow = byId.get(target);
  if (!targetRow) throw notFound('target lead');
  if (targetRow.merged_into) throw conflict(`the target lead was merged into ${targetRow.merged_into}; merge into that lead`);
  for (const id of sources) {
    const row = byId.get(id);
    if (!row) throw new AppError('not_found', `source lead ${id} not found`);
    if (row.merged_into) throw conflict(`source lead ${id} was already merged into ${row.merged_into}`);
  }
  return targetRow;
}

/**
 * Merges the sources into the target in one transaction: every lead's lock first (one lockLeads
 * call, src/db/locks.ts), then the rows: events (all, or the newest with truncation) move to the
 * target and are queued, with the target's, for a rescore from the raw events in ingestion order
 * (one UPDATE of events: queueLeadsRescore's `moveTo`); aliases, orders and deal contacts move and
 * the sources are marked merged_into. The scoring worker replays the target after commit, in passes
 * of its own (leads.service.ts: onRescoreQueued). O(events of the leads); other leads' scoring
 * never waits for it.
 */
export function mergeLeads(db: Db, t: Tenant, input: MergeInput): Promise<MergeOutcome> {
  const { targetLeadId: target, sourceLeadIds: sources, truncate } = input;
  if (sources.includes(target)) throw new AppError('bad_request', 'a lead cannot be merged into itself');
  return transactionWithRetry(db, async (trx) => {
    const repo = createLeadsRepository(trx);
    await lockLeads(trx, t.unitId, [target, ...sources]);
    checkMergeable(await repo.findLeads(t, [target, ...sources]), target, sources);
    const truncatedEvents = truncate.policy === 'keep_latest' ? await truncateLeadEvents(trx, t, sources, truncate.max_events ?? 0) : 0;
    const movedEvents = await countLeadEvents(trx, t, sources);
    // One UPDATE of events moves the sources' events to the target and unscores all of them.
    const queued = await queueLeadsRescore(trx, t, [target, ...sources], target);
    await repo.moveAliases(t, sources, target);
    await moveLeadOrders(trx, t, sources, target);
    await moveLeadDealContacts(trx, t, sources, target);
    await repo.markMerged(t, sources, target);
    const targetRow = await repo.findLead(t, target);
    return {
      target: targetRow as LeadRow,
      mergedSources: sources,
      movedEvents,
      truncatedEvents,
      rescore: { status: 'queued', queued_events: queued },
    };
  });
}
