import { sql } from 'kysely';
import type { Db } from '../../../src/db/database.js';

/**
 * Tables and columns a rejected request may legitimately change: the audit log records every
 * request by design, the usage counters count every answered call (refused ones too), and
 * authenticating a Basic credential stamps its `last_used_at` (at most once a minute, after the
 * answer) whatever the request then does.
 */
const IGNORED_TABLES = new Set(['audit_logs', 'usage_counters', 'schema_migrations']);
const IGNORED_COLUMNS: Record<string, string[]> = { api_credentials: ['last_used_at'] };

export type Checksums = Record<string, string>;

export interface TableChecksums {
  tables: string[];
  take(): Promise<Checksums>;
}

/** Quotes an identifier read from the catalog (names come from information_schema, never from input). */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * A fingerprint of every row of every base table (all tenants), in one statement: the row count and
 * the sum of a 60-bit md5 prefix of each row's text. Equal before and after a request means it
 * changed nothing. A sum needs no sort, which keeps it cheap enough to take around every rejected
 * write (a few ms); same SQL on PostgreSQL and PGlite.
 */
export async function tableChecksums(db: Db): Promise<TableChecksums> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const tables = rows.map((r) => r.table_name).filter((t) => !IGNORED_TABLES.has(t));
  const parts = tables.map((table) => {
    const dropped = (IGNORED_COLUMNS[table] ?? []).map((c) => ` - '${c}'`).join('');
    const row = dropped ? `(to_jsonb(t)${dropped})::text` : 't::text';
    const hash = `('x' || substr(md5(${row}), 1, 15))::bit(60)::bigint`;
    return `select '${table}' as name, count(*) || ':' || coalesce(sum(${hash}), 0) as sum from ${ident(table)} t`;
  });
  const statement = sql.raw(parts.join('\nunion all\n'));
  return {
    tables,
    async take() {
      const result = await statement.execute(db);
      return Object.fromEntries((result.rows as Array<{ name: string; sum: string }>).map((r) => [r.name, r.sum]));
    },
  };
}

/** The tables whose checksum differs. */
export function changedTables(before: Checksums, after: Checksums): string[] {
  return Object.keys(before).filter((t) => before[t] !== after[t]);
}
