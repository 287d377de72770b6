import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { databaseUrl, type TestDbInfo } from './test-db.js';

/**
 * Picks the database of this run: TEST_DATABASE_URL → that PostgreSQL server; TEST_DB=testcontainers
 * with Docker → a throwaway PostgreSQL container; else embedded PGlite. Migrates once into a
 * template that every test file clones (house rule 22).
 */
export default async function setup(project: TestProject) {
  const teardown: Array<() => Promise<void>> = [];
  let info: TestDbInfo;
  let adminUrl = process.env.TEST_DATABASE_URL;

  if (!adminUrl && process.env.TEST_DB === 'testcontainers' && dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    adminUrl = container.getConnectionUri();
    teardown.push(async () => void (await container.stop()));
  }

  if (adminUrl) {
    const template = `leadvibe_tmpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${template}`);
    await admin.query(`create database ${template}`);
    const database = await createDatabase({ kind: 'postgres', url: databaseUrl(adminUrl, template), poolSize: 2 });
    await migrate(database);
    await database.close();
    info = { kind: 'postgres', adminUrl, template };
    teardown.push(async () => {
      const { rows } = await admin.query<{ datname: string }>(
        `select datname from pg_database where datname like $1`,
        [`leadvibe_t_${process.pid}_%`],
      );
      for (const row of rows) await admin.query(`drop database if exists ${row.datname} with (force)`);
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.end();
    });
  } else {
    const database = await createDatabase({ kind: 'pglite' });
    await migrate(database);
    if (!database.dumpDataDir) throw new Error('PGlite database cannot be dumped');
    const dump = await database.dumpDataDir();
    await database.close();
    const dir = join(process.cwd(), '.test-cache');
    mkdirSync(dir, { recursive: true });
    const dumpFile = join(dir, `pglite-${process.pid}.tar`);
    writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()));
    info = { kind: 'pglite', dumpFile };
  }

  project.provide('testDb', info);
  return async () => {
    for (const step of teardown.reverse()) await step();
  };
}

function dockerAvailable(): boolean {
  return existsSync('/var/run/docker.sock') || Boolean(process.env.DOCKER_HOST);
}
