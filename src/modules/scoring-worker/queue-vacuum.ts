import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Counter } from 'prom-client';
import type { Database } from '../../db/database.js';

/**
 * Vacuums `scoring_queue` after every `every` rows this process's passes took off it or rewrote
 * (docs/scoring.md, "Queue vacuum"). Each scored event leaves a dead queue row and three dead index
 * entries, and the claim's index scans walk them until a vacuum removes them. Autovacuum visits a
 * table at most once a minute (and never where it is off, or on PGlite): at 1,400 events/s that is
 * ~80,000 dead entries, and PostgreSQL spent 13–22 % more CPU per event without this
 * (bench/README.md, issue 11). The vacuum runs beside the next passes, on its own connection.
 * SKIP_LOCKED: a vacuum already running (another process's, or autovacuum's) is enough; TRUNCATE
 * false: truncating takes an exclusive lock that would stop every claim and ingest of the queue
 * while it waits for it.
 */
export function createQueueVacuum(database: Database, log: FastifyBaseLogger, every: number, counter: Counter | null) {
  let taken = 0;
  let running: Promise<void> | null = null;
  function vacuum(): void {
    running = sql`vacuum (skip_locked, truncate false) scoring_queue`
      .execute(database.db)
      .then(() => void counter?.inc())
      .catch((err: unknown) => log.warn({ err }, 'could not vacuum the scoring queue; autovacuum will'))
      .finally(() => {
        running = null;
      });
  }
  return {
    /** Counts queue rows a committed pass deleted or rewrote; starts a vacuum past `every`. */
    taken(n: number): void {
      taken += n;
      if (every <= 0 || taken < every || running) return;
      taken = 0;
      vacuum();
    },
    /** Waits for a vacuum in flight (stop, tests). */
    settled: (): Promise<void> => running ?? Promise.resolve(),
  };
}
