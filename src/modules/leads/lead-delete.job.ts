import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { lockLeads } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import type { JobStep } from '../../jobs/job-runner.js';
import { createJobsRepository } from '../../jobs/jobs.repository.js';
import { deleteLeadEvents } from '../events/events.service.js';
import { deleteLeadMessages } from '../ingest/ingest.service.js';
import { createLeadsRepository } from './leads.repository.js';

export const LEAD_DELETE_JOB = 'lead_delete';

/** Events removed per step: each step is one short transaction holding the lead's lock. */
export const EVENTS_PER_STEP = 5000;

/**
 * One step of a lead delete (job subject = lead id): under the lead's lock (src/db/locks.ts order:
 * OU shared, lead, then rows) it removes a batch of the lead's events, their scores going by
 * cascade; the last step removes its message ids and the lead row, whose cascade takes aliases,
 * lead scores, scoring state and decay applications. Leads merged into it (empty shells) go too.
 * Every step reads what is left from the database, so a step cut short by a crash just runs again.
 */
export function leadDeleteStep(eventsPerStep = EVENTS_PER_STEP): JobStep {
  return (db: Db, job) =>
    transactionWithRetry(db, async (trx) => {
      const t: Tenant = { orgId: job.org_id, unitId: job.unit_id };
      const repo = createLeadsRepository(trx);
      const leads = [job.subject, ...(await repo.mergedInto(t, job.subject))];
      await lockLeads(trx, t.unitId, leads);
      const removed = await deleteLeadEvents(trx, t, leads, eventsPerStep);
      await createJobsRepository(trx).addProgress(job, 'events_deleted', removed);
      if (removed === eventsPerStep) return 'more';
      await deleteLeadMessages(trx, t, leads);
      await repo.deleteLeads(t, leads);
      return 'done';
    });
}
