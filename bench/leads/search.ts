/**
 * Where the time of GET /leads/search goes (bench/leads/run.ts, BENCH_ONLY=search): the route's
 * own statement (src/modules/leads/leads.repository.ts `search`: migration 0068's function, $1 org,
 * $2 OU, $3 q, $4 its prefix's upper bound, $5 and $6 the same lower-cased, $7 limit) and the hand query, each sent from the
 * bench process unprepared (parse + plan + execute per call) and as a named prepared statement,
 * plus EXPLAIN ANALYZE's planning and execution times of both.
 */
import type pg from 'pg';
import { prefixUpperBound } from '../../src/modules/leads/leads.repository.js';
import { SEARCH_SQL } from './cases.js';

export const ROUTE_SEARCH_SQL = 'select * from lv_lead_search($1, $2, $3, $4, $5, $6, $7)';

export interface SearchStatement {
  label: string;
  text: string;
  values: unknown[];
}

/** The route's statement and the hand query for `q`, with their parameters. */
export function searchStatements(orgId: string, unitId: string, q: string): SearchStatement[] {
  return [
    { label: 'route SQL', text: ROUTE_SEARCH_SQL, values: [orgId, unitId, q, prefixUpperBound(q), q.toLowerCase(), prefixUpperBound(q.toLowerCase()), 10] },
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
