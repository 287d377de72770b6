/**
 * Where the time of GET /leads/search goes (bench/leads/run.ts, BENCH_ONLY=search): the route's
 * own statement (a copy of src/modules/leads/leads.repository.ts `search`, $1 org, $2 OU, $3 q,
 * $4 its LIKE prefix, $5 the lower-cased one, $6 limit) and the hand query, each sent from the
 * bench process unprepared (parse + plan + execute per call) and as a named prepared statement,
 * plus EXPLAIN ANALYZE's planning and execution times of both.
 */
import type pg from 'pg';
import { likePrefix } from '../../src/modules/leads/leads.repository.js';
import { SEARCH_SQL } from './cases.js';

export const ROUTE_SEARCH_SQL = `
  select l.id, l.created_at, m.matched_by, m.alias_kind, m.alias_value
    from (select distinct on (lead_id) lead_id, matched_by, alias_kind, alias_value, rank from (
            (select id as lead_id, 'id' as matched_by, null::text as alias_kind, null::text as alias_value,
                    case when id = $3 then 0 else 1 end as rank
               from leads
              where org_id = $1 and unit_id = $2 and id like $4 escape '\\' and merged_into is null
              order by rank, id limit $6)
            union all
            (select lead_id, 'alias', kind, value, 2
               from lead_aliases
              where org_id = $1 and unit_id = $2 and (value like $4 escape '\\' or value like $5 escape '\\')
              order by value limit $6)
          ) c order by lead_id, rank) m
    join leads l on l.org_id = $1 and l.unit_id = $2 and l.id = m.lead_id and l.merged_into is null
   order by m.rank, l.id
   limit $6`;

export interface SearchStatement {
  label: string;
  text: string;
  values: unknown[];
}

/** The route's statement and the hand query for `q`, with their parameters. */
export function searchStatements(orgId: string, unitId: string, q: string): SearchStatement[] {
  return [
    { label: 'route SQL', text: ROUTE_SEARCH_SQL, values: [orgId, unitId, q, likePrefix(q), likePrefix(q.toLowerCase()), 10] },
    { label: 'hand SQL', text: SEARCH_SQL, values: [orgId, unitId, q] },
  ];
}

/** One call of `s`, unprepared or by name (prepared on the connection's first call). */
export function runStatement(client: pg.Client, s: SearchStatement, prepared: boolean): Promise<pg.QueryResult> {
  const name = `bench_${s.label.replace(/\W/g, '_')}`;
  return prepared ? client.query({ name, text: s.text, values: s.values }) : client.query(s.text, s.values);
}

/** EXPLAIN ANALYZE's planning and execution times (ms) of one unprepared call. */
export async function explainTimes(client: pg.Client, s: SearchStatement): Promise<{ planning: number; execution: number }> {
  const { rows } = await client.query<{ 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number }> }>(
    `explain (analyze, format json) ${s.text}`,
    s.values,
  );
  const plan = rows[0]?.['QUERY PLAN'][0];
  return { planning: plan?.['Planning Time'] ?? Number.NaN, execution: plan?.['Execution Time'] ?? Number.NaN };
}
