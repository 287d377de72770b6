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

/** pg.Pool as Kysely's pool, running statements marked with preparedStatement() by name. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  function wrap(client: pg.PoolClient): PostgresPoolClient {
    const known = wrapped.get(client);
    if (known) return known;
    function query(text: string | pg.Submittable, values?: readonly unknown[]) {
      if (typeof text !== 'string') return client.query(text);
      const name = PREPARED.exec(text)?.[1];
      return name ? client.query({ name, text, values: values as unknown[] }) : client.query(text, values as unknown[]);
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
