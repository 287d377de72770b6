import { leadListSql } from '../lib/dataset.js';

/** The lead reads bench/leads/run.ts measures, each with hand-written SQL of the same answer ($1 org, $2 OU). */
export interface ListCase {
  name: string;
  query: string;
  /** The page's ids, then (a second query) the total. */
  pageSql: string;
  countSql: string;
}

function list(name: string, query: string, condition = 'true'): ListCase {
  return { name, query, ...leadListSql(condition) };
}

export const LIST_CASES: ListCase[] = [
  list('no filter', ''),
  list('range=last_30d', 'range=last_30d', `l.created_at >= now() - interval '30 days'`),
  list('min_score=150', 'min_score=150', 'coalesce(s.total_score, 0) >= 150'),
  list('max_score=5', 'max_score=5', 'coalesce(s.total_score, 0) <= 5'),
  list('event_type=demo_request', 'event_type=demo_request', `st.last_event_type = 'demo_request'`),
  list('last_active=7d', 'last_active=7d', `st.last_event_at >= now() - interval '7 days'`),
  list('min_score=100 & last_active=30d', 'min_score=100&last_active=30d', `coalesce(s.total_score, 0) >= 100 and st.last_event_at >= now() - interval '30 days'`),
];

/** GET /leads/search?q=…: id prefix first, then alias prefix; ten at most. */
export const SEARCH_CASES = [
  { name: 'search id prefix (lead-4242)', q: 'lead-4242' },
  { name: 'search alias prefix (lead-777@)', q: 'lead-777@' },
];

export const SEARCH_SQL = `
  select id from (
    (select id, case when id = $3 then 0 else 1 end as rank from leads
      where org_id = $1 and unit_id = $2 and merged_into is null and id like $3 || '%' order by rank, id limit 10)
    union all
    (select a.lead_id, 2 from lead_aliases a join leads l on l.org_id = a.org_id and l.unit_id = a.unit_id and l.id = a.lead_id
      where a.org_id = $1 and a.unit_id = $2 and a.value like $3 || '%' and l.merged_into is null order by a.value limit 10)
  ) m group by id order by min(rank), id limit 10`;
