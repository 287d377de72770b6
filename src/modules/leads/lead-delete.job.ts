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
 * One step of a lead delete (job subject = lead id): under the locks of the lead and of the leads
 * merged into it (src/db/locks.ts order: OU shared, leads, then rows) it removes a batch of their
 * events, whose scores go by cascade. Once no event is left, each step removes one lead row with
 * its message ids (the merged shells first, the lead last); the row's cascade takes aliases, lead
 * scores, scoring state and decay applications. One lead row per transaction, as
 * docs/concurrency.md asks. Every step reads what is left, so one cut short by a crash runs again.
 */
export function leadDeleteStep(eventsPerStep = EVENTS_PER_STEP): JobStep {
  return (db: Db, job) =>
    transactionWithRetry(db, async (trx) => {
      const t: Tenant = { orgId: job.org_id, unitId: job.unit_id };
      const repo = createLeadsRepository(trx);
      const shells = await repo.mergedInto(t, job.subject);
      const leads = [job.subject, ...shells];
      await lockLeads(trx, t.unitId, leads);
      const removed = await deleteLeadEvents(trx, t, leads, eventsPerStep);
      await createJobsRepository(trx).addProgress(job, 'events_deleted', removed);
      if (removed === eventsPerStep) return 'more';
      const next = shells[0] ?? job.subject;
      await deleteLeadMessages(trx, t, [next]);
      await repo.deleteLeads(t, [next]);
      return next === job.subject ? 'done' : 'more';
    });
}
