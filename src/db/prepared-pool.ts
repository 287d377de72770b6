import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * A statement whose text starts with this comment is prepared once per connection and then run by
 * name, so PostgreSQL skips parsing and (after a few runs) planning it. Meant for the few hot,
 * fixed-text statements of ingestion and scoring; the name must always go with the same text.
 */
const PREPARED = /^\/\* prepared: ([a-z0-9_]+) \*\//;

export function preparedStatement(name: string): string {
  return `/* prepared: ${name} */`;
}

/**
 * How long a connection keeps the plans of its prepared statements. A plan is made from the tables'
 * sizes when it is made, and a generic plan is then kept as long as the connection lives unless
 * something invalidates it (an ANALYZE, which autovacuum may never run: it is off on this project's
 * test server). Planned while the tables were nearly empty (a fresh install, a bench's first
 * passes), every index of a table costs the same and the first one in the catalog wins: the
 * scoring pass then probed `events` through its primary key on `org_id` alone and
 * `lead_scoring_state` through its (unit, engagement time) index, scanning a whole organization or
 * OU per lead (0.3–0.9 s per statement; bench/README.md, issue 12 session 6). So each connection
 * discards its plans (DISCARD PLANS: the statements stay prepared) before a prepared statement
 * once this long has passed: the next plans see the tables as they are now.
 */
export const PLAN_LIFETIME_MS = 10_000;

/** pg.Pool as Kysely's pool, running statements marked with preparedStatement() by name. */
export function preparingPool(pool: pg.Pool, planLifetimeMs = PLAN_LIFETIME_MS): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  function wrap(client: pg.PoolClient): PostgresPoolClient {
    const known = wrapped.get(client);
    if (known) return known;
    let plansUntil = Date.now() + planLifetimeMs;
    function query(text: string | pg.Submittable, values?: readonly unknown[]) {
      if (typeof text !== 'string') return client.query(text);
      const name = PREPARED.exec(text)?.[1];
      if (!name) return client.query(text, values as unknown[]);
      if (Date.now() > plansUntil) {
        plansUntil = Date.now() + planLifetimeMs;
        // Queued now, so it runs just before this statement and nothing queued after it overtakes it.
        // It fails only in a transaction already aborted, where this statement fails with the real error.
        client.query('discard plans').catch(() => undefined);
      }
      return client.query({ name, text, values: values as unknown[] });
    }
    // Kysely passes either SQL text with parameters or a cursor, and pg takes both as they are.
    const wrapper = { query: query as unknown as PostgresPoolClient['query'], release: () => client.release() };
    wrapped.set(client, wrapper);
    return wrapper;
  }

  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
