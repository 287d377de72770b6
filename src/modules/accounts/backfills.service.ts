import { z } from 'zod';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { JsonObject } from '../../db/types.js';
import { notFound } from '../../http/errors.js';
import { createJobsRepository, type Job } from '../../jobs/jobs.repository.js';
import { JOB_COUNTERS } from './backfill.jobs.js';

const count = z.number().int().optional();
/** Every counter of every kind (JOB_COUNTERS): a job answers those of its kind. */
const counterFields = {
  leads_processed: count,
  leads_updated: count,
  accounts_linked: count,
  accounts_created: count,
  profile_scores_updated: count,
  events_scanned: count,
  events_updated: count,
  leads_without_account: count,
};

export const jobViewSchema = z
  .object({
    job_id: z.string(),
    kind: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed']),
    status_url: z.string(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    last_error: z.string().nullable(),
    ...counterFields,
  })
  .describe('The job and its counters so far (the seed’s fields: final once status is completed)')
  .meta({ id: 'AdminJob' });
export type JobView = z.infer<typeof jobViewSchema>;

export function toJobView(job: Job): JobView {
  const progress = job.progress as JsonObject;
  const counters = Object.fromEntries((JOB_COUNTERS[job.kind] ?? []).map((c) => [c, Number(progress[c] ?? 0)]));
  return {
    job_id: job.id,
    kind: job.kind,
    status: job.status,
    status_url: `/admin/jobs/${job.id}`,
    created_at: job.created_at.toISOString(),
    finished_at: job.finished_at?.toISOString() ?? null,
    last_error: job.last_error,
    ...counters,
  };
}

/** The OU-wide backfill jobs: one open job per kind and OU (a repeated request answers the open one). */
export function createBackfillsService(deps: { db: Db; onJobQueued?: () => void }) {
  const jobs = createJobsRepository(deps.db);
  return {
    async start(t: Tenant, kind: string): Promise<JobView> {
      const job = await jobs.enqueue(t, kind, 'ou');
      deps.onJobQueued?.();
      return toJobView(job);
    },
    async status(t: Tenant, jobId: string): Promise<JobView> {
      const job = await jobs.find(t, jobId);
      if (!job || !(job.kind in JOB_COUNTERS)) throw notFound('job');
      return toJobView(job);
    },
  };
}

export type BackfillsService = ReturnType<typeof createBackfillsService>;
