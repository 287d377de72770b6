import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Counter } from 'prom-client';
import type { Database } from '../../db/database.js';
import { everyInterval } from '../../lifecycle/background.js';

/** How often the worker looks whether the queue needs a vacuum. */
const CHECK_MS = 1000;

/**
 * Vacuums `scoring_queue` after every `every` events this process took off it (docs/scoring.md,
 * "Queue vacuum"). Each scored event leaves a dead queue row and three dead index entries; the
 * claim's index scans walk them until a vacuum removes them. Autovacuum visits a table at most
 * once a minute (and not at all where it is off, or on PGlite): at 1,400 events/s that is ~80,000
 * dead entries, and the claim cost twice as much per event as right after a vacuum
 * (bench/README.md, issue 11). SKIP_LOCKED: a vacuum already running (another process's, or
 * autovacuum's) is enough; TRUNCATE false: truncating takes an exclusive lock that would stop
 * every claim and ingest of the queue while it waits for it.
 */
export function createQueueVacuum(database: Database, log: FastifyBaseLogger, every: number, counter: Counter | null) {
  let taken = 0;
  async function vacuum(): Promise<boolean> {
    if (every <= 0 || taken < every) return false;
    taken = 0;
    await sql`vacuum (skip_locked, truncate false) scoring_queue`.execute(database.db);
    counter?.inc();
    return true;
  }
  const task = everyInterval('scoring queue vacuum', CHECK_MS, vacuum, log);
  return {
    /** Counts events a pass took off the queue. */
    taken(n: number): void {
      taken += n;
    },
    /** Runs the check now (tests). */
    runNow: () => task.runNow(),
    start: () => task.start(),
    stop: () => task.stop(),
  };
}
