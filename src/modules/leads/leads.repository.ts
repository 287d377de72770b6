import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import { preparedStatement } from '../../db/prepared-pool.js';
import type { AliasKind, JsonObject, LeadsTable } from '../../db/types.js';
import type { Tenant } from '../../auth/tenant.js';

export type LeadRow = Selectable<LeadsTable>;
/** A lead of any OU (set-based writes of ingestion and backfills span OUs). */
export interface LeadKey {
  orgId: string;
  unitId: string;
  leadId: string;
}
export type NewLead = Pick<Insertable<LeadsTable>, 'id' | 'metadata' | 'account_id'>;

export interface SearchHit {
  id: string;
  created_at: Date;
  matched_by: 'id' | 'alias';
  alias_kind: AliasKind | null;
  alias_value: string | null;
}

/** `text` as a LIKE pattern matching itself literally, then anything (`\` is the escape character). */
export function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Longer than any stored id (128) or alias value (512, at most doubled by lower-casing). */
const MAX_STORED_CHARS = 1024;
const LAST_CODE_POINT = 0x10ffff;

/**
 * The least string above every string that starts with `prefix`, in code-point (UTF-8 byte) order:
 * the prefix with its last code point incremented (past the surrogates), dropping trailing U+10FFFF;
 * a prefix of only U+10FFFF has no such string, and gets one longer than anything stored.
 */
export function prefixUpperBound(prefix: string): string {
  const points = [...prefix];
  for (let i = points.length - 1; i >= 0; i--) {
    const cp = points[i]?.codePointAt(0) as number;
    if (cp === LAST_CODE_POINT) continue;
    return points.slice(0, i).join('') + String.fromCodePoint(cp + 1 === 0xd800 ? 0xe000 : cp + 1);
  }
  return String.fromCodePoint(LAST_CODE_POINT).repeat(MAX_STORED_CHARS);
}

/**
 * The `leads` table, owned by this module: every lead row is written here, except the rows
 * ingestion creates in its single-statement write (src/modules/ingest/ingest.repository.ts, see
 * docs/architecture.md). Reads of a lead's aliases live here too.
 */
export function createLeadsRepository(db: Db) {
  const lead = (t: Tenant, leadId: string) =>
    db.selectFrom('leads').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', leadId);
  const update = (t: Tenant, leadId: string) =>
    db.updateTable('leads').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', leadId);

  return {
    findLead(t: Tenant, leadId: string): Promise<LeadRow | undefined> {
      return lead(t, leadId).selectAll().executeTakeFirst();
    },

    /** The lead's row locked until the transaction ends (a metadata patch reads, merges, writes). */
    lockLead(t: Tenant, leadId: string): Promise<LeadRow | undefined> {
      return lead(t, leadId).selectAll().forUpdate().executeTakeFirst();
    },

    /** Inserts a lead; undefined when the OU already has one with that id. */
    insertLead(t: Tenant, row: NewLead): Promise<LeadRow | undefined> {
      return db
        .insertInto('leads')
        .values({ org_id: t.orgId, unit_id: t.unitId, ...row })
        .onConflict((oc) => oc.columns(['org_id', 'unit_id', 'id']).doNothing())
        .returningAll()
        .executeTakeFirst();
    },

    /** Replaces the metadata and, when given (null included), the account; undefined for an unknown lead. */
    replaceLead(t: Tenant, leadId: string, change: { metadata: JsonObject; account_id?: string | null }): Promise<LeadRow | undefined> {
      return update(t, leadId)
        .set({
          metadata: JSON.stringify(change.metadata),
          ...(change.account_id !== undefined && { account_id: change.account_id }),
          updated_at: sql`now()`,
        })
        .returningAll()
        .executeTakeFirst();
    },

    setMetadata(t: Tenant, leadId: string, metadata: JsonObject): Promise<LeadRow> {
      return update(t, leadId).set({ metadata: JSON.stringify(metadata), updated_at: sql`now()` }).returningAll().executeTakeFirstOrThrow();
    },

    /** The listed leads of the OU (a merge reads them after taking their advisory locks). */
    findLeads(t: Tenant, leadIds: string[]): Promise<LeadRow[]> {
      return db
        .selectFrom('leads')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where(sql<boolean>`id = any(${leadIds}::text[])`)
        .execute();
    },

    /** Merge: the aliases of `from` become `to`'s (alias keys are (OU, kind, value), so none can collide). */
    async moveAliases(t: Tenant, from: string[], to: string): Promise<number> {
      const result = await sql`update lead_aliases set lead_id = ${to}
        where org_id = ${t.orgId} and unit_id = ${t.unitId} and lead_id = any(${from}::text[])`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /**
     * Merge: marks the sources, and the leads merged into them before, as merged into `to` (one hop
     * for resolution). No key column changes, so the row locks taken are FOR NO KEY UPDATE, which
     * ingestion's foreign-key FOR KEY SHARE locks do not wait for (docs/concurrency.md).
     */
    async markMerged(t: Tenant, sources: string[], to: string): Promise<void> {
      await sql`update leads set merged_into = ${to}, updated_at = now()
        where org_id = ${t.orgId} and unit_id = ${t.unitId}
          and (id = any(${sources}::text[]) or merged_into = any(${sources}::text[]))`.execute(db);
    },

    /** Ids of the leads merged into `leadId` (their shells go with it when it is deleted). */
    async mergedInto(t: Tenant, leadId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('leads')
        .select('id')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('merged_into', '=', leadId)
        .execute();
      return rows.map((r) => r.id);
    },

    /** Ids of the leads tagged `metadata.source = source`, with the shells merged into them. */
    async idsOfSource(t: Tenant, source: string): Promise<string[]> {
      const { rows } = await sql<{ id: string }>`
        with tagged as (
          select id from leads
           where org_id = ${t.orgId} and unit_id = ${t.unitId} and metadata ->> 'source' = ${source})
        select id from tagged
        union
        select l.id from leads l join tagged on l.merged_into = tagged.id
         where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId}`.execute(db);
      return rows.map((r) => r.id);
    },

    /** Inserts new leads in one statement; answers how many were new (an existing id is kept as it is). */
    async insertLeads(t: Tenant, rows: NewLead[]): Promise<number> {
      if (rows.length === 0) return 0;
      const result = await db
        .insertInto('leads')
        .values(rows.map((row) => ({ org_id: t.orgId, unit_id: t.unitId, ...row })))
        .onConflict((oc) => oc.columns(['org_id', 'unit_id', 'id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n);
    },

    /** Deletes lead rows (one per transaction: docs/concurrency.md); aliases, events, scores, state and decay applications go by cascade. */
    async deleteLeads(t: Tenant, leadIds: string[]): Promise<void> {
      await db
        .deleteFrom('leads')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where(sql<boolean>`id = any(${leadIds}::text[])`)
        .execute();
    },

    /**
     * Up to `limit` surviving leads whose id or one of whose alias values starts with `q` (the exact
     * id first, then id matches, then alias matches, each in code-point order), by the function of
     * migration 0068: byte-wise prefix ranges [q, prefixUpperBound(q)) of the `text_pattern_ops`
     * indexes, so `q` matches literally, planned once per connection.
     */
    async search(t: Tenant, q: string, limit: number): Promise<SearchHit[]> {
      const lower = q.toLowerCase();
      const { rows } = await sql<SearchHit>`${sql.raw(preparedStatement('lead_search'))}
        select * from lv_lead_search(${t.orgId}, ${t.unitId}, ${q}, ${prefixUpperBound(q)}, ${lower}, ${prefixUpperBound(lower)}, ${limit})`.execute(db);
      return rows;
    },

    /**
     * The rows of leads of any OUs, locked (FOR NO KEY UPDATE) in key order so that two writers of
     * overlapping sets cannot deadlock each other; leads that do not exist are left out.
     */
    async lockLeadRows(keys: LeadKey[]): Promise<LeadRow[]> {
      if (keys.length === 0) return [];
      const { rows } = await sql<LeadRow>`
        select l.* from leads l
        join unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.unitId)}::uuid[], ${keys.map((k) => k.leadId)}::text[])
             as k(org_id, unit_id, id) on l.org_id = k.org_id and l.unit_id = k.unit_id and l.id = k.id
        order by l.org_id, l.unit_id, l.id
        for no key update of l`.execute(db);
      return rows;
    },

    /**
     * The next `limit` surviving leads of the OU after `cursor` in id order (a backfill's keyset page),
     * with their account, company_domain and email aliases (oldest first).
     */
    async leadPage(t: Tenant, cursor: string, limit: number): Promise<Array<{ id: string; account_id: string | null; company_domain: string | null; emails: string[] }>> {
      const { rows } = await sql<{ id: string; account_id: string | null; company_domain: string | null; emails: string[] | null }>`
        select l.id, l.account_id, l.metadata ->> 'company_domain' as company_domain,
               (select array_agg(a.value order by a.created_at, a.value) from lead_aliases a
                 where a.org_id = l.org_id and a.unit_id = l.unit_id and a.lead_id = l.id and a.kind = 'email') as emails
          from leads l
         where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.id > ${cursor} and l.merged_into is null
         order by l.id
         limit ${limit}`.execute(db);
      return rows.map((r) => ({ ...r, emails: r.emails ?? [] }));
    },

    /** Links leads that have no account yet to the given accounts; answers how many were linked. */
    async linkAccounts(t: Tenant, links: Array<{ leadId: string; accountId: string }>): Promise<number> {
      if (links.length === 0) return 0;
      const result = await sql`update leads l set account_id = u.account_id, updated_at = now()
        from unnest(${links.map((x) => x.leadId)}::text[], ${links.map((x) => x.accountId)}::text[]) as u(id, account_id)
        where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.id = u.id and l.account_id is null`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /** Unlinks the OU's leads from these accounts; answers how many leads were unlinked. */
    async unlinkAccounts(t: Tenant, accountIds: string[]): Promise<number> {
      if (accountIds.length === 0) return 0;
      const result = await sql`update leads set account_id = null, updated_at = now()
        where org_id = ${t.orgId} and unit_id = ${t.unitId} and account_id = any(${accountIds}::text[])`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /** Writes new metadata (and, when given, account ids) to leads in one statement. */
    async writeLeadRows(rows: Array<{ org_id: string; unit_id: string; id: string; metadata: JsonObject; account_id?: string | null }>): Promise<void> {
      if (rows.length === 0) return;
      const keepAccount = rows.map((r) => r.account_id === undefined);
      await sql`update leads l set metadata = u.metadata, updated_at = now(),
          account_id = case when u.keep_account then l.account_id else u.account_id end
        from unnest(${rows.map((r) => r.org_id)}::uuid[], ${rows.map((r) => r.unit_id)}::uuid[], ${rows.map((r) => r.id)}::text[],
                    ${rows.map((r) => JSON.stringify(r.metadata))}::jsonb[], ${rows.map((r) => r.account_id ?? null)}::text[], ${keepAccount}::bool[])
             as u(org_id, unit_id, id, metadata, account_id, keep_account)
        where l.org_id = u.org_id and l.unit_id = u.unit_id and l.id = u.id`.execute(db);
    },

    listAliases(t: Tenant, leadId: string) {
      return db
        .selectFrom('lead_aliases')
        .select(['kind', 'value', 'created_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('lead_id', '=', leadId)
        .orderBy('created_at')
        .orderBy('kind')
        .orderBy('value')
        .execute();
    },
  };
}

export type LeadsRepository = ReturnType<typeof createLeadsRepository>;
