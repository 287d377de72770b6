import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PgliteDialect } from './pglite-dialect.js';
import { preparingPool } from './prepared-pool.js';
import type { DB } from './types.js';

export type Db = Kysely<DB>;

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      poolSize?: number;
      /** statement_timeout of every pooled connection in ms (0: none); migrations lift it (migrate.ts). */
      statementTimeoutMs?: number;
    }
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob };

/** The database handle every module receives: Kysely plus the LISTEN/NOTIFY channel. */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /** Runs a multi-statement SQL script as one implicit transaction (simple query protocol). */
  execScript(script: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * PostgreSQL only: one pooled driver connection held for `fn` (COPY FROM STDIN needs the driver's
   * client). A connection on which `fn` failed is closed rather than returned to the pool.
   */
  withPgClient?<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** PGlite only: the data directory as a tarball, to clone a migrated database quickly. */
  dumpDataDir?(): Promise<Blob>;
}

const INT8 = 20;
const NUMERIC = 1700;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  return options.kind === 'postgres'
    ? createPostgres(options.url, options.poolSize ?? 10, options.statementTimeoutMs ?? 0)
    : createPglite(options);
}

async function createPostgres(url: string, poolSize: number, statementTimeoutMs: number): Promise<Database> {
  // Sent at connect time, so it holds for every statement on the pool's connections; the LISTEN
  // client below has none (it runs no statements that could hang).
  const timeout = statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {};
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes(), ...timeout });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  let listener: pg.Client | null = null;
  const handlers = new Map<string, Set<(payload: string) => void>>();

  async function listenerClient(): Promise<pg.Client> {
    if (listener) return listener;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on('notification', (msg) => {
      for (const handler of handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
    });
    listener = client;
    return client;
  }

  return {
    kind: 'postgres',
    db,
    async listen(channel, onPayload) {
      const client = await listenerClient();
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
      };
    },
    async notify(channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(db);
    },
    async execScript(script) {
      await pool.query(script);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async withPgClient(fn) {
      const client = await pool.connect();
      let failed = false;
      try {
        return await fn(client);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        client.release(failed);
      }
    },
    async close() {
      await listener?.end();
      listener = null;
      await db.destroy();
    },
  };
}

async function createPglite(options: { dataDir?: string; loadDataDir?: Blob }): Promise<Database> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Loaded only when used: the module costs tens of MB of memory a PostgreSQL deployment never needs.
  const { PGlite, types: pgliteTypes } = await import('@electric-sql/pglite');
  const parsers = { [pgliteTypes.INT8]: (v: string) => Number(v), [pgliteTypes.NUMERIC]: (v: string) => Number(v) };
  const client = await PGlite.create(options.dataDir, {
    parsers,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = new Kysely<DB>({ dialect: new PgliteDialect(client) });
  return {
    kind: 'pglite',
    db,
    async listen(channel, onPayload) {
      const unlisten = await client.listen(channel, onPayload);
      return async () => unlisten();
    },
    async notify(channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(db);
    },
    async execScript(script) {
      // Queue behind Kysely's holder of the single connection.
      await db.connection().execute(async () => {
        await client.exec(script);
      });
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      if (!client.closed) await client.close();
    },
    async dumpDataDir() {
      return client.dumpDataDir('none');
    },
  };
}

/**
 * Kysely over the database named by config: PostgreSQL when a URL is given, else embedded PGlite
 * (which has no statement timeout: one in-process connection, no signal to cancel it with).
 */
export function databaseOptionsFromConfig(cfg: {
  databaseUrl: string | undefined;
  dataDir: string;
  dbStatementTimeoutMs: number;
}): DatabaseOptions {
  return cfg.databaseUrl
    ? { kind: 'postgres', url: cfg.databaseUrl, statementTimeoutMs: cfg.dbStatementTimeoutMs }
    : { kind: 'pglite', dataDir: cfg.dataDir };
}
