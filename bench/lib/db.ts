import pg from 'pg';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

/** The PostgreSQL server the benchmarks run against (BENCH_DATABASE_URL overrides). */
export const BENCH_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A bench database name; BENCH_DB_SUFFIX keeps two people's runs on one server apart. */
export function dbName(base: string): string {
  const suffix = process.env.BENCH_DB_SUFFIX ?? '';
  if (!/^[a-z0-9_]*$/.test(suffix)) throw new Error('BENCH_DB_SUFFIX: lowercase letters, digits and _ only');
  return suffix ? `${base}_${suffix}` : base;
}

export function urlOf(name: string): string {
  const u = new URL(BENCH_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs `fn` with a client on `url` (the admin database when omitted) and closes it. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops and recreates database `name` (empty) and answers its URL. */
export async function emptyDatabase(name: string): Promise<string> {
  await withClient(BENCH_ADMIN_URL, async (admin) => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  });
  return urlOf(name);
}

/** Drops and recreates database `name`, migrates it, and answers its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const url = await emptyDatabase(name);
  const database: Database = await createDatabase({ kind: 'postgres', url, poolSize: 2 });
  await migrate(database);
  await database.close();
  return url;
}

/**
 * The database of an app server: migrated here, or left empty when the server runs another
 * checkout (BENCH_SERVER_DIR), whose own migrations bench/server.ts applies.
 */
export function appDatabase(name: string, serverDir = process.env.BENCH_SERVER_DIR): Promise<string> {
  return serverDir ? emptyDatabase(name) : freshDatabase(name);
}

/**
 * 100k leads, each with one email alias `lead-<i>@bench.io`, as a live OU would have them (lead
 * ids are UUIDs, as ingestion makes them), then VACUUM ANALYZE: autovacuum is off on the CI
 * PostgreSQL these benches run on, so the bench gives the tables the statistics it would have.
 */
export async function seedLeads(url: string, orgId: string, unitId: string, leads: number): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `insert into leads (org_id, unit_id, id)
       select $1, $2, md5('bench-lead-' || g)::uuid::text from generate_series(1, $3::int) g`,
      [orgId, unitId, leads],
    );
    await c.query(
      `insert into lead_aliases (org_id, unit_id, kind, value, lead_id)
       select $1, $2, 'email', 'lead-' || g || '@bench.io', md5('bench-lead-' || g)::uuid::text from generate_series(1, $3::int) g`,
      [orgId, unitId, leads],
    );
    await c.query('vacuum analyze');
  });
}

const queueTables = new WeakMap<pg.Client, Promise<boolean>>();

/**
 * Unscored events (the worker's queue): the scoring_queue table where the server's schema has one
 * (the worker branch's migrations/0014), else events with scored_at null. Tagged so the breakdown
 * can leave the bench's own statements out.
 */
export async function queueDepth(client: pg.Client): Promise<number> {
  let hasTable = queueTables.get(client);
  if (!hasTable) {
    hasTable = client.query<{ q: boolean }>(`/* bench */ select to_regclass('scoring_queue') is not null as q`).then((r) => r.rows[0]?.q === true);
    queueTables.set(client, hasTable);
  }
  const text = (await hasTable) ? 'select count(*)::int as n from scoring_queue' : 'select count(*)::int as n from events where scored_at is null';
  const { rows } = await client.query<{ n: number }>(`/* bench */ ${text}`);
  return rows[0]?.n ?? 0;
}

/** Waits until the worker has scored everything; answers the seconds it took (0 when nothing was queued). */
export async function waitForDrain(client: pg.Client, timeoutSeconds = 900): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if ((await queueDepth(client)) === 0) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutSeconds * 1000) throw new Error(`queue not drained after ${timeoutSeconds} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Like waitForDrain, but gives up after `timeoutSeconds` and answers how many events were left. */
export async function drainWithin(client: pg.Client, timeoutSeconds: number): Promise<{ seconds: number; left: number }> {
  const t0 = performance.now();
  for (;;) {
    const left = await queueDepth(client);
    const seconds = (performance.now() - t0) / 1000;
    if (left === 0 || seconds > timeoutSeconds) return { seconds, left };
    await new Promise((r) => setTimeout(r, 200));
  }
}
