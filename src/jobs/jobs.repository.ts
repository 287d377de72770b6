import { sql, type Selectable } from 'kysely';
import type { Tenant } from '../auth/tenant.js';
import type { Db } from '../db/database.js';
import type { JobsTable, JsonValue } from '../db/types.js';

export type Job = Selectable<JobsTable>;

const OPEN = ['queued', 'running'] as const;

/** The jobs table (migrations/0020): queuing, claiming under a lease, finishing. */
export function createJobsRepository(db: Db) {
  const byKey = (job: Pick<Job, 'org_id' | 'id'>) =>
    db.updateTable('jobs').where('org_id', '=', job.org_id).where('id', '=', job.id);

  const ofSubject = (t: Tenant, kind: string, subject: string) =>
    db
      .selectFrom('jobs')
      .selectAll()
      .where('org_id', '=', t.orgId)
      .where('unit_id', '=', t.unitId)
      .where('kind', '=', kind)
      .where('subject', '=', subject);

  return {
    /**
     * Queues a job unless one of the same kind and subject is still open in the OU; answers the open
     * job either way (the partial unique index jobs_open_subject makes concurrent calls agree). The
     * open job our insert collided with may finish before we read it: then the insert is tried again.
     */
    async enqueue(t: Tenant, kind: string, subject: string, payload: JsonValue = {}): Promise<Job> {
      for (;;) {
        const { rows } = await sql<Job>`
          insert into jobs (org_id, unit_id, kind, subject, payload)
          values (${t.orgId}, ${t.unitId}, ${kind}, ${subject}, ${JSON.stringify(payload)}::jsonb)
          on conflict (org_id, unit_id, kind, subject) where status in ('queued', 'running') do nothing
          returning *`.execute(db);
        const job = rows[0] ?? (await ofSubject(t, kind, subject).where('status', 'in', OPEN).executeTakeFirst());
        if (job) return job;
      }
    },

    /** The newest job of a kind about a subject in the OU. */
    latest(t: Tenant, kind: string, subject: string): Promise<Job | undefined> {
      return ofSubject(t, kind, subject).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    },

    /**
     * Claims the oldest runnable job: queued, or running under a lease that expired (its process
     * died) or was released (its process stopped). SKIP LOCKED lets runners of several processes
     * claim side by side without waiting for each other.
     */
    async claim(leaseSeconds: number): Promise<Job | undefined> {
      const { rows } = await sql<Job>`
        update jobs j
           set status = 'running', attempts = j.attempts + 1, updated_at = now(),
               lease_until = now() + make_interval(secs => ${leaseSeconds})
          from (select org_id, id from jobs
                 where status in ('queued', 'running') and run_after <= now()
                   and (lease_until is null or lease_until < now())
                 order by run_after
                 limit 1
                 for update skip locked) c
         where j.org_id = c.org_id and j.id = c.id
        returning j.*`.execute(db);
      return rows[0];
    },

    async renew(job: Job, leaseSeconds: number): Promise<void> {
      await byKey(job)
        .set({ lease_until: sql`now() + make_interval(secs => ${leaseSeconds})`, updated_at: sql`now()` })
        .where('status', '=', 'running')
        .execute();
    },

    /** Hands a running job back at once (a clean stop): the next claim, in any process, resumes it. */
    async release(job: Job): Promise<void> {
      await byKey(job).set({ lease_until: null, updated_at: sql`now()` }).where('status', '=', 'running').execute();
    },

    async complete(job: Job): Promise<void> {
      await byKey(job).set({ status: 'completed', lease_until: null, finished_at: sql`now()`, updated_at: sql`now()` }).execute();
    },

    /** A failed step: retried after `retryInSeconds`, or given up (status failed) when `final`. */
    async fail(job: Job, error: string, final: boolean, retryInSeconds: number): Promise<void> {
      await byKey(job)
        .set({
          status: final ? 'failed' : 'running',
          last_error: error.slice(0, 1000),
          lease_until: null,
          run_after: sql`now() + make_interval(secs => ${retryInSeconds})`,
          finished_at: final ? sql`now()` : null,
          updated_at: sql`now()`,
        })
        .execute();
    },

    /** Sets one key of the job's progress (a keyset cursor); call it in the step's transaction. */
    async setProgress(job: Pick<Job, 'org_id' | 'id'>, key: string, value: JsonValue): Promise<void> {
      await byKey(job)
        .set({ progress: sql`jsonb_set(progress, array[${key}::text], ${JSON.stringify(value)}::jsonb)`, updated_at: sql`now()` })
        .execute();
    },

    /** A job of the OU by id. */
    find(t: Tenant, id: string): Promise<Job | undefined> {
      return db.selectFrom('jobs').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst();
    },

    /** Adds `n` to a counter of the job's progress; call it in the step's transaction, so it commits with the work. */
    async addProgress(job: Pick<Job, 'org_id' | 'id'>, counter: string, n: number): Promise<void> {
      await byKey(job)
        .set({
          progress: sql`jsonb_set(progress, array[${counter}::text], to_jsonb(coalesce((progress ->> ${counter})::bigint, 0) + ${n}))`,
          updated_at: sql`now()`,
        })
        .execute();
    },
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;
