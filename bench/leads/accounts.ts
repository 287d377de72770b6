/**
 * GET /accounts cases of bench/leads/run.ts, each with hand-written SQL of the same page ($1 org,
 * $2 OU): one GROUP BY over the OU's leads and their primary scores gives every account's
 * leads_count and top_score (the route computes them per account by index probes), then the
 * accounts with their level, the filters, the sort (top_score desc nulls last, name, id), the total
 * by a window count, and owner_name and surging for the page's rows only.
 */
export interface AccountCase {
  name: string;
  query: string;
  /** SQL condition on accounts `a`. */
  where: string;
  /** intent_level filter (lowercased level name), or null for all. */
  intent: string | null;
  offset: number;
}

const c = (name: string, query: string, where = 'true', intent: string | null = null, offset = 0): AccountCase => ({ name, query, where, intent, offset });

export const ACCOUNT_CASES: AccountCase[] = [
  c('no filter', ''),
  c('page=20', 'page=20', 'true', null, 950),
  c('intent_level=high', 'intent_level=high', 'true', 'high'),
  c('intent_level=low', 'intent_level=low', 'true', 'low'),
  c('search=company12', 'search=company12', `(strpos(lower(a.name), 'company12') > 0 or strpos(a.domain, 'company12') > 0)`),
  c('range=last_30d', 'range=last_30d', `a.created_at >= now() - interval '30 days'`),
  c('intent_level=medium & range=last_90d & page=2', 'intent_level=medium&range=last_90d&page=2', `a.created_at >= now() - interval '90 days'`, 'medium', 50),
];

export interface AccountPageRow {
  id: string;
  top_score: number | null;
  leads_count: number;
  intent_level: string | null;
  owner_name: string | null;
  surging: boolean;
  total: number;
}

/** The hand-written page (50 rows) of one case. */
export function accountPageSql(k: AccountCase): string {
  return `
    with primary_set as (select id from rulesets where org_id = $1 and unit_id = $2 and is_primary limit 1),
    agg as (
      select l.account_id, count(*)::int as leads_count, max(s.total_score)::int as top_score
        from leads l
        left join lead_scores s on s.org_id = l.org_id and s.unit_id = l.unit_id and s.lead_id = l.id
         and s.ruleset_id = (select id from primary_set)
       where l.org_id = $1 and l.unit_id = $2 and l.account_id is not null and l.merged_into is null
       group by l.account_id
    ),
    listed as (
      select a.id, a.name, coalesce(g.leads_count, 0) as leads_count, g.top_score, lower(lv.name) as intent_level
        from accounts a
        left join agg g on g.account_id = a.id
        left join lateral (select v.name from levels v where v.org_id = $1 and v.unit_id = $2 and v.kind = 'account'
                             and g.top_score between v.min_score and v.max_score order by v.min_score limit 1) lv on true
       where a.org_id = $1 and a.unit_id = $2 and ${k.where}
    ),
    page as (
      select listed.*, count(*) over ()::int as total from listed
       ${k.intent ? `where intent_level = '${k.intent}'` : ''}
       order by top_score desc nulls last, name, id limit 50 offset ${k.offset}
    )
    select p.id, p.top_score, p.leads_count, p.intent_level, p.total, o.owner_name,
           exists (select 1 from leads l join event_scores es on es.org_id = l.org_id and es.unit_id = l.unit_id and es.lead_id = l.id
                    where l.org_id = $1 and l.unit_id = $2 and l.account_id = p.id
                      and es.surged and es.occurred_at >= now() - interval '24 hours') as surging
      from page p
      left join lateral (select l.metadata ->> 'owner_name' as owner_name from leads l
                           join lead_scores s on s.org_id = l.org_id and s.unit_id = l.unit_id and s.lead_id = l.id
                            and s.ruleset_id = (select id from primary_set)
                          where l.org_id = $1 and l.unit_id = $2 and l.account_id = p.id and l.merged_into is null
                          order by s.total_score desc, l.id limit 1) o on true
     order by p.top_score desc nulls last, p.name, p.id`;
}

/** What both answers are compared on. */
export function accountKey(rows: Array<Omit<AccountPageRow, 'total' | 'id'> & { id?: string; account_id?: string }>): string {
  return JSON.stringify(rows.map((r) => [r.account_id ?? r.id, r.top_score, r.leads_count, r.intent_level, r.owner_name, r.surging]));
}
