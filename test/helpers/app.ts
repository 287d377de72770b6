import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { databaseUrl } from '../test-db.js';

export const TEST_ENV = {
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'test-secret-of-at-least-32-characters!!',
  COOKIE_SECRET: 'cookie-secret-of-at-least-32-chars!!',
  RATE_LIMIT_MODE: 'observe',
  // Test files sign up hundreds of organizations from one address; the limit has tests of its own.
  AUTH_RATE_LIMIT_PER_MIN: '1000000',
  // Suites sign up hundreds of organizations; auth-sessions.test.ts checks the standard cost.
  PASSWORD_HASH_COST: 'low',
} as const;

export interface TestDatabase {
  /**
   * Opens a new handle on this file's database (a "restarted process" on PostgreSQL);
   * `statementTimeoutMs` applies on PostgreSQL only.
   */
  open(options?: { statementTimeoutMs?: number }): Promise<Database>;
  kind: 'postgres' | 'pglite';
}

/** A database of its own for the calling test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const info = inject('testDb');
  if (info.kind === 'postgres') {
    const name = `${info.template.replace('_tmpl_', '_t_')}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: info.adminUrl });
    await admin.connect();
    await admin.query(`create database ${name} template ${info.template}`);
    await admin.end();
    const url = databaseUrl(info.adminUrl, name);
    return {
      kind: 'postgres',
      open: (options = {}) => createDatabase({ kind: 'postgres', url, poolSize: 5, ...options }),
    };
  }
  // PGlite is in memory and single-process: every open() shares one instance.
  const database = await createDatabase({ kind: 'pglite', loadDataDir: new Blob([readFileSync(info.dumpFile)]) });
  const shared: Database = { ...database, close: async () => {} };
  afterAll(() => database.close());
  return { kind: 'pglite', open: async () => shared };
}

export async function buildTestApp(database: Database, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config: loadConfig({ ...TEST_ENV, ...env }), database });
  await app.ready();
  return app;
}

export interface TestContext {
  app: FastifyInstance;
  database: Database;
  testDb: TestDatabase;
}

/** One app over a fresh database for the whole file, closed after it. */
export function setupTestApp(env: Record<string, string> = {}): TestContext {
  const ctx = {} as TestContext;
  beforeAll(async () => {
    ctx.testDb = await createTestDatabase();
    ctx.database = await ctx.testDb.open();
    ctx.app = await buildTestApp(ctx.database, env);
  });
  afterAll(async () => {
    await ctx.app?.close();
    await ctx.database?.close();
  });
  return ctx;
}
