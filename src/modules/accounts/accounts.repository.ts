import { sql, type Selectable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { AccountsTable, JsonObject } from '../../db/types.js';

export type AccountRow = Selectable<AccountsTable>;

/** An account of any OU (set-based writes span OUs). */
export interface AccountKey {
  orgId: string;
  unitId: string;
  accountId: string;
}

/** The accounts table (migrations/0041), owned by this module. */
export function createAccountsRepository(db: Db) {
  return {
    findAccount(t: Tenant, id: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst();
    },

    /** The OU's accounts of these domains, created (named after the domain) where missing; `created` marks the new ones. */
    async ensureAccounts(t: Tenant, domains: string[]): Promise<Array<{ id: string; domain: string; created: boolean }>> {
      if (domains.length === 0) return [];
      const { rows } = await sql<{ id: string; domain: string; created: boolean }>`
        with wanted as (select distinct d from unnest(${domains}::text[]) as w(d)),
        made as (
          insert into accounts (org_id, unit_id, domain, name)
          select ${t.orgId}, ${t.unitId}, d, d from wanted order by d
          on conflict (org_id, unit_id, domain) where domain is not null do nothing
          returning id, domain)
        select id, domain, true as created from made
        union all
        select a.id, a.domain, false from accounts a join wanted on a.domain = wanted.d
         where a.org_id = ${t.orgId} and a.unit_id = ${t.unitId}`.execute(db);
      return rows;
    },

    /** Deletes the OU's accounts of these ids that no lead references any more; answers their ids. */
    async deleteUnreferenced(t: Tenant, ids: string[]): Promise<string[]> {
      const { rows } = await sql<{ id: string }>`
        delete from accounts a where a.org_id = ${t.orgId} and a.unit_id = ${t.unitId} and a.id = any(${ids}::text[])
           and not exists (select 1 from leads l where l.org_id = a.org_id and l.unit_id = a.unit_id and l.account_id = a.id)
        returning a.id`.execute(db);
      return rows.map((r) => r.id);
    },

    /** Creates accounts (an id already taken is left as it is); answers how many were new. */
    async insertMany(t: Tenant, rows: Array<{ id: string; domain: string; name: string; metadata: Record<string, unknown> }>): Promise<number> {
      if (rows.length === 0) return 0;
      const result = await db
        .insertInto('accounts')
        .values(rows.map((r) => ({ org_id: t.orgId, unit_id: t.unitId, id: r.id, domain: r.domain, name: r.name, metadata: JSON.stringify(r.metadata) })))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n);
    },

    async idsOfSource(t: Tenant, source: string): Promise<string[]> {
      const rows = await db
        .selectFrom('accounts')
        .select('id')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where(sql<boolean>`metadata ->> 'source' = ${source}`)
        .execute();
      return rows.map((r) => r.id);
    },

    /** Which of these ids are accounts of the OU. */
    async existing(t: Tenant, ids: string[]): Promise<string[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('accounts').select('id').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', 'in', ids).execute();
      return rows.map((r) => r.id);
    },

    /** Accounts locked (FOR NO KEY UPDATE) in key order, after the leads they belong to (the same order everywhere). */
    async lockAccounts(keys: AccountKey[]): Promise<AccountRow[]> {
      if (keys.length === 0) return [];
      const { rows } = await sql<AccountRow>`
        select a.* from accounts a
        join unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.unitId)}::uuid[], ${keys.map((k) => k.accountId)}::text[])
             as k(org_id, unit_id, id) on a.org_id = k.org_id and a.unit_id = k.unit_id and a.id = k.id
        order by a.org_id, a.unit_id, a.id
        for no key update of a`.execute(db);
      return rows;
    },

    async writeMetadata(rows: Array<{ org_id: string; unit_id: string; id: string; metadata: JsonObject }>): Promise<void> {
      if (rows.length === 0) return;
      await sql`update accounts a set metadata = u.metadata, updated_at = now()
        from unnest(${rows.map((r) => r.org_id)}::uuid[], ${rows.map((r) => r.unit_id)}::uuid[], ${rows.map((r) => r.id)}::text[],
                    ${rows.map((r) => JSON.stringify(r.metadata))}::jsonb[]) as u(org_id, unit_id, id, metadata)
        where a.org_id = u.org_id and a.unit_id = u.unit_id and a.id = u.id`.execute(db);
    },
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
