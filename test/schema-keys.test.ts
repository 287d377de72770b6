import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import type { DB } from '../src/db/types.js';
import { createTestDatabase } from './helpers/app.js';

/**
 * The shard-ready schema rule (docs/scale-out.md), read from the catalog so every later migration
 * is held to it: a table is either a reference table named here, or a tenant table to be
 * distributed by org_id, and then it has an org_id column, every primary key, unique constraint
 * and unique index of it contains org_id, and every foreign key to another tenant table joins
 * org_id to org_id. Base tables only: views (score_history) are not distributed.
 */
const REFERENCE_TABLES = ['organizations', 'org_units', 'members', 'ou_memberships', 'api_credentials'];
/** The migration ledger: read and written by migrate() alone, it stays a local table of the coordinator. */
const LOCAL_TABLES = ['schema_migrations'];

/** Base tables of the public schema with the attnum of their org_id column (null without one). */
const tablesSql = sql<{ oid: number; name: string; org_attnum: number | null }>`
  select c.oid::int as oid, c.relname::text as name,
         (select a.attnum::int from pg_attribute a
           where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped) as org_attnum
    from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
   order by c.relname`;

/** Primary keys, unique constraints and unique indexes alike: each is a unique index in pg_index. */
const uniqueIndexesSql = sql<{ table_oid: number; name: string; attnums: number[] }>`
  select i.indrelid::int as table_oid, x.relname::text as name, i.indkey::int2[]::int[] as attnums
    from pg_index i join pg_class x on x.oid = i.indexrelid
   where i.indisunique`;

const foreignKeysSql = sql<{ table_oid: number; ref_oid: number; name: string; cols: number[]; ref_cols: number[] }>`
  select conrelid::int as table_oid, confrelid::int as ref_oid, conname::text as name,
         conkey::int[] as cols, confkey::int[] as ref_cols
    from pg_constraint where contype = 'f'`;

/** Every breach of the rule in the database `db` can see, as sentences naming table and key. */
async function shardKeyViolations(db: Kysely<DB>): Promise<string[]> {
  const [tables, indexes, keys] = await Promise.all([tablesSql.execute(db), uniqueIndexesSql.execute(db), foreignKeysSql.execute(db)]);
  const exempt = new Set([...REFERENCE_TABLES, ...LOCAL_TABLES]);
  const tenant = new Map(tables.rows.filter((t) => !exempt.has(t.name)).map((t) => [t.oid, t]));
  const violations: string[] = [];
  for (const t of tenant.values()) if (t.org_attnum === null) violations.push(`${t.name} has no org_id column`);
  for (const ix of indexes.rows) {
    const t = tenant.get(ix.table_oid);
    if (t && !ix.attnums.includes(t.org_attnum ?? -1)) violations.push(`${t.name}: unique key ${ix.name} lacks org_id`);
  }
  for (const fk of keys.rows) {
    const from = tenant.get(fk.table_oid);
    const to = tenant.get(fk.ref_oid);
    if (!from || !to) continue;
    const joinsOrg = fk.cols.some((col, i) => col === from.org_attnum && fk.ref_cols[i] === to.org_attnum);
    if (!joinsOrg) violations.push(`${from.name}: foreign key ${fk.name} to ${to.name} does not join org_id to org_id`);
  }
  return violations.sort();
}

/** Rolls back whatever `work` did in the database. */
async function inRolledBackTransaction(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<void>): Promise<void> {
  const rollback = new Error('rollback');
  await db
    .transaction()
    .execute(async (trx) => {
      await work(trx);
      throw rollback;
    })
    .catch((err: unknown) => {
      if (err !== rollback) throw err;
    });
}

describe('shard-ready schema', () => {
  let database: Database;
  beforeAll(async () => {
    database = await (await createTestDatabase()).open();
  });
  afterAll(() => database?.close());

  it('keys every tenant table, its unique keys and its tenant foreign keys by org_id', async () => {
    expect(await shardKeyViolations(database.db)).toEqual([]);
  });

  it('names only reference tables that exist, and leaves them out of the rule', async () => {
    const { rows } = await tablesSql.execute(database.db);
    const names = rows.map((r) => r.name);
    for (const table of [...REFERENCE_TABLES, ...LOCAL_TABLES]) expect(names).toContain(table);
    // members is keyed by id and unique by email alone (login by email): allowed for a reference table.
    const { rows: memberKeys } = await uniqueIndexesSql.execute(database.db);
    expect(memberKeys.map((k) => k.name)).toContain('members_email');
  });

  it('reports a tenant table without org_id, a unique key without it and a foreign key not joining it', async () => {
    await inRolledBackTransaction(database.db, async (trx) => {
      await sql`create table zz_no_org (id uuid primary key)`.execute(trx);
      await sql`create table zz_parent (org_id uuid not null, id uuid not null, code text not null,
                  primary key (org_id, id), unique (code), unique (id))`.execute(trx);
      await sql`create table zz_child (org_id uuid not null, id uuid not null, parent_id uuid not null,
                  primary key (org_id, id), foreign key (parent_id) references zz_parent (id),
                  foreign key (org_id, parent_id) references zz_parent (org_id, id),
                  foreign key (id, org_id) references zz_parent (org_id, id))`.execute(trx);
      const ours = (await shardKeyViolations(trx)).filter((v) => v.startsWith('zz_'));
      expect(ours).toEqual([
        'zz_child: foreign key zz_child_id_org_id_fkey to zz_parent does not join org_id to org_id',
        'zz_child: foreign key zz_child_parent_id_fkey to zz_parent does not join org_id to org_id',
        'zz_no_org has no org_id column',
        'zz_no_org: unique key zz_no_org_pkey lacks org_id',
        'zz_parent: unique key zz_parent_code_key lacks org_id',
        'zz_parent: unique key zz_parent_id_key lacks org_id',
      ]);
    });
  });
});
