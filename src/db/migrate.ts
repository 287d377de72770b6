import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './database.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../migrations');
const LOCK_KEY = 7_212_001;

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Applies migrations/*.sql in name order, each in one transaction together with its ledger row.
 * The advisory lock plus the ledger's primary key make concurrent starts of several processes safe:
 * the loser of the race fails on the ledger insert and finds the migration applied.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  await database.execScript(
    'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())',
  );
  const files = readdirSync(dir).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    if (await isApplied(database, file)) continue;
    const script = [
      // A migration may rewrite a large table: the app's statement_timeout is not for it.
      'set local statement_timeout = 0',
      `select pg_advisory_xact_lock(${LOCK_KEY})`,
      `insert into schema_migrations (name) values (${quote(file)})`,
      readFileSync(join(dir, file), 'utf8'),
    ].join(';\n');
    try {
      await database.execScript(script);
      applied.push(file);
    } catch (error) {
      if (await isApplied(database, file)) continue;
      throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return applied;
}

async function isApplied(database: Database, file: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from schema_migrations where name = ${file}`.execute(
    database.db,
  );
  return (rows[0]?.n ?? 0) > 0;
}
