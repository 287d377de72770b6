import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { lockLeads } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import { notFound } from '../../http/errors.js';
import { queueLeadRescore } from '../scoring-worker/rescore.js';
import { createLeadsRepository } from './leads.repository.js';
import type { RescoreResult } from './leads.schemas.js';

/**
 * Rebuilds a lead's event scores, totals, history and levels from its raw events: under the lead's
 * lock (src/db/locks.ts order) its score rows and scoring state go and every event is queued again;
 * the scoring worker replays them in ingestion order (seq) under the current rules, exactly as it
 * scored them live. The same function a merge uses (lead-merge.ts). A lead merged into another has
 * no events left: it is rescored to nothing, which is what it holds.
 */
export function rescoreLead(db: Db, t: Tenant, leadId: string): Promise<RescoreResult> {
  return transactionWithRetry(db, async (trx) => {
    await lockLeads(trx, t.unitId, [leadId]);
    if (!(await createLeadsRepository(trx).findLead(t, leadId))) throw notFound('lead');
    const queued = await queueLeadRescore(trx, t, leadId);
    return { lead_id: leadId, status: 'queued', queued_events: queued };
  });
}
