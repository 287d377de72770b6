import { sql } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { JsonValue } from '../../db/types.js';
import { likePrefix } from '../leads/leads.repository.js';

export interface AccountListFilters {
  createdSince?: Date;
  createdBefore?: Date;
  search?: string;
  /** low, medium or high: the lowercased name of the account level holding top_score. */
  intentLevel?: string;
}

export interface AccountListRow {
  id: string;
  domain: string | null;
  name: string | null;
  metadata: JsonValue;
  created_at: Date;
  updated_at: Date;
  top_score: number | null;
  leads_count: number;
  intent_level: string | null;
  owner_name: string | null;
  surging: boolean;
  total: number;
}

/** Hours a surged scored event keeps its account "surging" (the seed's "last 24 hours"). */
const SURGE_HOURS = 24;

/** `%text%` matching text literally (LIKE wildcards escaped). */
const likeAnywhere = (text: string) => `%${likePrefix(text)}`;

/**
 * Account reads that aggregate leads, scores and events (tables of other modules, read-only here).
 * The primary engagement ruleset gives each lead's score; accounts without leads have top_score null.
 */
export function createAccountsReadRepository(db: Db) {
  const primary = (t: Tenant) => sql`(select id from rulesets where org_id = ${t.orgId} and unit_id = ${t.unitId} and is_primary limit 1)`;

  return {
    /**
     * One page of the OU's accounts by top_score (highest first, accounts without a score last), then
     * name and id, with the total matching count. The filtered accounts' surviving leads and primary
     * scores are grouped by account in one statement: the planner hashes the OU's leads when most
     * accounts are listed and probes index leads_account when a filter leaves few (per-account
     * subqueries probed it for every account: 5–12× a GROUP BY, bench/README.md). Each account's
     * level is joined once; owner_name and surging only for the page's rows.
     */
    async list(t: Tenant, f: AccountListFilters, page: number, limit: number): Promise<AccountListRow[]> {
      const { rows } = await sql<AccountListRow>`
        with listed as (
          select a.id, a.domain, a.name, a.metadata, a.created_at, a.updated_at from accounts a
           where a.org_id = ${t.orgId} and a.unit_id = ${t.unitId}
             ${f.createdSince ? sql`and a.created_at >= ${f.createdSince}` : sql``}
             ${f.createdBefore ? sql`and a.created_at < ${f.createdBefore}` : sql``}
             ${f.search ? sql`and (lower(a.name) like ${likeAnywhere(f.search.toLowerCase())} escape '\\' or a.domain like ${likeAnywhere(f.search.toLowerCase())} escape '\\')` : sql``}
        ),
        agg as (
          select l.account_id as id, count(*)::int as leads_count, max(ls.total_score)::int as top_score
            from leads l
            left join lead_scores ls on ls.org_id = l.org_id and ls.unit_id = l.unit_id and ls.lead_id = l.id and ls.ruleset_id = ${primary(t)}
           where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.merged_into is null and l.account_id in (select id from listed)
           group by l.account_id
        ),
        leveled as (
          select listed.*, coalesce(agg.leads_count, 0) as leads_count, agg.top_score, lower(v.name) as intent_level
            from listed left join agg on agg.id = listed.id
            left join lateral (select v.name from levels v
              where v.org_id = ${t.orgId} and v.unit_id = ${t.unitId} and v.kind = 'account' and agg.top_score between v.min_score and v.max_score
              order by v.min_score limit 1) v on true
        ),
        page as (
          select leveled.*, count(*) over ()::int as total from leveled
           ${f.intentLevel ? sql`where intent_level = ${f.intentLevel}` : sql``}
           order by top_score desc nulls last, name, id
           limit ${limit} offset ${(page - 1) * limit})
        select p.*,
               (select l.metadata ->> 'owner_name' from leads l
                  join lead_scores ls on ls.org_id = l.org_id and ls.unit_id = l.unit_id and ls.lead_id = l.id and ls.ruleset_id = ${primary(t)}
                 where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.account_id = p.id and l.merged_into is null
                 order by ls.total_score desc, l.id limit 1) as owner_name,
               exists (select 1 from leads l
                  join event_scores es on es.unit_id = l.unit_id and es.lead_id = l.id and es.org_id = l.org_id
                 where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.account_id = p.id
                   and es.surged and es.occurred_at >= now() - make_interval(hours => ${SURGE_HOURS})) as surging
          from page p
         order by p.top_score desc nulls last, p.name, p.id`.execute(db);
      return rows;
    },

    /** leads_count and top_score of one account (as the list computes them). */
    async aggregate(t: Tenant, accountId: string): Promise<{ leads_count: number; top_score: number | null }> {
      const { rows } = await sql<{ leads_count: number; top_score: number | null }>`
        select count(*)::int as leads_count, max(ls.total_score)::int as top_score
          from leads l
          left join lead_scores ls on ls.org_id = l.org_id and ls.unit_id = l.unit_id and ls.lead_id = l.id and ls.ruleset_id = ${primary(t)}
         where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.account_id = ${accountId} and l.merged_into is null`.execute(db);
      return rows[0] ?? { leads_count: 0, top_score: null };
    },

    /** The account's surviving leads by primary score (highest first), at most `limit`. */
    async topLeads(t: Tenant, accountId: string, limit: number) {
      const { rows } = await sql<{ lead_id: string; score: number; created_at: Date; metadata: JsonValue }>`
        select l.id as lead_id, coalesce(ls.total_score, 0)::int as score, l.created_at, l.metadata
          from leads l
          left join lead_scores ls on ls.org_id = l.org_id and ls.unit_id = l.unit_id and ls.lead_id = l.id and ls.ruleset_id = ${primary(t)}
         where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.account_id = ${accountId} and l.merged_into is null
         order by score desc, l.id limit ${limit}`.execute(db);
      return rows;
    },

    /** The newest events of the account's leads. */
    async recentEvents(t: Tenant, accountId: string, limit: number) {
      const { rows } = await sql<{ event_id: string; lead_id: string; event_type: string; channel: string; occurred_at: Date }>`
        select e.id as event_id, e.lead_id, e.event_type, e.channel, e.occurred_at
          from leads l
          cross join lateral (select * from events e where e.org_id = l.org_id and e.unit_id = l.unit_id and e.lead_id = l.id
                               order by e.occurred_at desc limit ${limit}) e
         where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.account_id = ${accountId}
         order by e.occurred_at desc, e.id limit ${limit}`.execute(db);
      return rows;
    },
  };
}
