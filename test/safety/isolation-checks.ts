import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import type { Identifier } from './isolation-factories.js';

/**
 * Not tenant state: the audit log and the usage counters (API calls) record every call, foreign
 * ones included, each under the caller's own organization.
 */
const SKIPPED_TABLES = new Set(['audit_logs', 'usage_counters', 'schema_migrations']);
/** Bookkeeping a read may write (a Basic call records when its credential was last used). */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_credentials: ['last_used_at'] };

interface Table {
  name: string;
  hasUnit: boolean;
}

export async function tenantTables(db: Db): Promise<Table[]> {
  const { rows } = await sql<{ table_name: string; has_unit: boolean }>`
    select t.table_name,
           exists (select 1 from information_schema.columns c
                   where c.table_schema = t.table_schema and c.table_name = t.table_name and c.column_name = 'unit_id') as has_unit
    from information_schema.tables t
    where t.table_schema = current_schema() and t.table_type = 'BASE TABLE'
    order by t.table_name`.execute(db);
  return rows.filter((r) => !SKIPPED_TABLES.has(r.table_name)).map((r) => ({ name: r.table_name, hasUnit: r.has_unit }));
}

/**
 * One md5 per table over all its rows (PostgreSQL and PGlite alike), in one round trip. With
 * `exceptUnit`, rows of that OU are left out: a route keyed by a name may write in the caller's OU.
 */
export async function checksums(db: Db, tables: Table[], exceptUnit?: string): Promise<Map<string, string>> {
  const parts = tables.map((t) => {
    const volatile = VOLATILE_COLUMNS[t.name];
    // t::text is several times cheaper than to_jsonb, which only tables with volatile columns need.
    const row = volatile ? sql`(to_jsonb(t) - ${sql.lit(`{${volatile.join(',')}}`)}::text[])::text` : sql`t::text`;
    const where = exceptUnit && t.hasUnit ? sql`where t.unit_id is distinct from ${exceptUnit}::uuid` : sql``;
    return sql`select ${sql.lit(t.name)} as name, md5(coalesce(string_agg(r, ',' order by r), '')) as sum
               from (select ${row} as r from ${sql.table(t.name)} t ${where}) x`;
  });
  const { rows } = await sql<{ name: string; sum: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
  return new Map(rows.map((r) => [r.name, r.sum]));
}

export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before.keys()].filter((name) => before.get(name) !== after.get(name));
}

/** Problems with a refusal: a status outside `allowed`, or a body that is not the error envelope. */
export function refusalProblems(res: LightMyRequestResponse, allowed: number[]): string[] {
  if (!allowed.includes(res.statusCode)) return [`answered ${res.statusCode} (expected ${allowed.join(' or ')}): ${res.body.slice(0, 300)}`];
  let body: Record<string, unknown>;
  try {
    body = res.json();
  } catch {
    return [`answered ${res.statusCode} without a JSON error envelope: ${res.body.slice(0, 300)}`];
  }
  const ok = typeof body.error === 'string' && typeof body.message === 'string' && typeof body.request_id === 'string';
  return ok ? [] : [`answered ${res.statusCode} without the error envelope {error, message, request_id}: ${res.body.slice(0, 300)}`];
}

/** The identifiers of A that `text` shows to a caller who may not see them. */
export function leakedIdentifiers(text: string, identifiers: Identifier[], sameOrg: boolean): string[] {
  return identifiers.filter((i) => (i.scope === 'ou' || !sameOrg) && text.includes(i.value)).map((i) => i.value);
}
