import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Counter } from 'prom-client';
import type { Database } from '../../db/database.js';

/**
 * At most this share of the wall time goes to vacuuming: after a vacuum of d ms the next waits
 * d × (100 / MAX_DUTY_PERCENT − 1). A vacuum reads the whole queue, so with a large backlog queued
 * (an import) it is slower and runs less often; right after the backlog it is ~5 ms again.
 */
const MAX_DUTY_PERCENT = 5;

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
  let notBefore = 0;
  function vacuum(): void {
    const started = performance.now();
    running = sql`vacuum (skip_locked, truncate false) scoring_queue`
      .execute(database.db)
      .then(() => void counter?.inc())
      .catch((err: unknown) => log.warn({ err }, 'could not vacuum the scoring queue; autovacuum will'))
      .finally(() => {
        const ms = performance.now() - started;
        notBefore = performance.now() + ms * (100 / MAX_DUTY_PERCENT - 1);
        running = null;
      });
  }
  return {
    /** Counts queue rows a committed pass deleted or rewrote; starts a vacuum past `every`. */
    taken(n: number): void {
      taken += n;
      if (every <= 0 || taken < every || running || performance.now() < notBefore) return;
      taken = 0;
      vacuum();
    },
    /** Waits for a vacuum in flight (stop, tests). */
    settled: (): Promise<void> => running ?? Promise.resolve(),
  };
}
