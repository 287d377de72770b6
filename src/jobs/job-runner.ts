import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import { everyInterval, type Background } from '../lifecycle/background.js';
import { createJobsRepository, type Job } from './jobs.repository.js';

/**
 * One step of a job: a short transaction of its own that commits its progress and answers whether
 * the job is done. A step must be safe to run again after a crash (it reads its progress from the
 * database, not from memory), so a job resumes wherever the last committed step left it.
 */
export type JobStep = (db: Db, job: Job) => Promise<'done' | 'more'>;

/** Claims (not step failures) after which a job whose step keeps failing is marked failed. */
const MAX_ATTEMPTS = 5;

export interface JobRunner extends Background {
  /** Looks for work now instead of at the next poll (after queuing a job). */
  kick(): void;
  /** Runs every runnable job to its end; tests await it instead of sleeping (house rule 20). */
  drain(): Promise<void>;
}

export interface JobRunnerDeps {
  db: Db;
  log: FastifyBaseLogger;
  /** The step function of each job kind. */
  steps: Readonly<Record<string, JobStep>>;
  pollMs: number;
  leaseSeconds: number;
}

/**
 * The durable job runner: one job at a time per process, step after step, renewing its lease
 * between steps. Stopping lets the current step finish and releases the job, so a restarted (or
 * another) process resumes it at once; after a crash the lease expires and the same happens.
 */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { db, log, steps, leaseSeconds } = deps;
  const repo = createJobsRepository(db);
  let started = false;
  let stopping = false;
  let finished = 0;

  async function runJob(job: Job): Promise<void> {
    const step = steps[job.kind];
    if (!step) return repo.fail(job, `no step function for job kind ${job.kind}`, true, 0);
    for (;;) {
      if (stopping) return repo.release(job);
      let outcome: 'done' | 'more';
      try {
        outcome = await step(db, job);
      } catch (err) {
        log.error({ err, jobId: job.id, kind: job.kind }, 'job step failed');
        const final = job.attempts >= MAX_ATTEMPTS;
        return repo.fail(job, err instanceof Error ? err.message : String(err), final, 2 ** job.attempts);
      }
      if (outcome === 'done') {
        finished += 1;
        return repo.complete(job);
      }
      await repo.renew(job, leaseSeconds);
    }
  }

  async function runAvailable(): Promise<void> {
    while (!stopping) {
      const job = await repo.claim(leaseSeconds);
      if (!job) return;
      await runJob(job);
    }
  }

  const loop = everyInterval('jobs', deps.pollMs, runAvailable, log);
  return {
    start: () => {
      started = true;
      stopping = false;
      loop.start();
    },
    stop: () => {
      stopping = true;
      return loop.stop();
    },
    // A process whose runner is off (JOBS_WORKER=false) leaves its jobs to the others.
    kick: () => {
      if (started && !stopping) void loop.runNow();
    },
    async drain() {
      for (;;) {
        // The first pass may be one already under way when drain was called; the second starts after it.
        await loop.runNow();
        const before = finished;
        await loop.runNow();
        if (finished === before) return;
      }
    },
  };
}
