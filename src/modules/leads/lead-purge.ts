import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { lockUnitExclusive } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import { deleteLeadEvents } from '../events/events.service.js';
import { deleteLeadMessages } from '../ingest/ingest.service.js';
import { createLeadsRepository } from './leads.repository.js';

export interface PurgeCounts {
  leads_deleted: number;
  events_deleted: number;
}

/**
 * Deletes at once every lead tagged `metadata.source = source` (and the shells merged into them)
 * with their events, message ids and, by cascade, aliases, scores and state: POST /admin/wipe-seed.
 * Meant for the sample's few thousand events: it takes the OU's exclusive lock (docs/concurrency.md:
 * many leads' rows in one transaction) instead of queuing a lead-delete job per lead.
 */
export function purgeLeadsOfSource(db: Db, t: Tenant, source: string): Promise<PurgeCounts> {
  return transactionWithRetry(db, async (trx) => {
    await lockUnitExclusive(trx, t.unitId);
    const repo = createLeadsRepository(trx);
    const ids = await repo.idsOfSource(t, source);
    if (ids.length === 0) return { leads_deleted: 0, events_deleted: 0 };
    const events = await deleteLeadEvents(trx, t, ids, Number.MAX_SAFE_INTEGER);
    await deleteLeadMessages(trx, t, ids);
    await repo.deleteLeads(t, ids);
    return { leads_deleted: ids.length, events_deleted: events };
  });
}
