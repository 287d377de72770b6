import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { UsageMetric } from '../../db/types.js';

export function monthWindow(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/** The first day of the UTC month of `at`, as usage_counters.month holds it (YYYY-MM-01). */
export function monthKey(at: Date): string {
  return monthWindow(at).start.toISOString().slice(0, 10);
}

export interface ApiCallDelta {
  orgId: string;
  unitId: string | null;
  month: string;
  calls: number;
  writes: number;
}

type Counts = Record<UsageMetric, number>;
const zero = (): Counts => ({ events: 0, leads: 0, api_calls: 0, api_writes: 0 });

export function createUsageRepository(db: Db) {
  return {
    /** Organization-level counts (members, OUs, credentials) and the OU's. Small reference tables. */
    async tenancyCounts(orgId: string, unitId: string) {
      const { rows } = await sql<{ org_members: number; org_units: number; org_api_credentials: number; unit_members: number; unit_api_credentials: number }>`
        select
          (select count(*) from members where org_id = ${orgId})::int as org_members,
          (select count(*) from org_units where org_id = ${orgId})::int as org_units,
          (select count(*) from api_credentials where org_id = ${orgId})::int as org_api_credentials,
          (select count(*) from ou_memberships where unit_id = ${unitId})::int as unit_members,
          (select count(*) from api_credentials where unit_id = ${unitId})::int as unit_api_credentials
      `.execute(db);
      const row = rows[0];
      if (!row) throw new Error('usage query returned no row');
      return row;
    },

    /** Month-to-date counters of the organization and of one OU: a sum over the month's few delta rows. */
    async monthCounts(orgId: string, unitId: string, month: string): Promise<{ organization: Counts; unit: Counts }> {
      const rows = await db
        .selectFrom('usage_counters')
        .select(['metric', 'unit_id', sql<number>`sum(n)::float8`.as('n')])
        .where('org_id', '=', orgId)
        .where('month', '=', month)
        .groupBy(['metric', 'unit_id'])
        .execute();
      const result = { organization: zero(), unit: zero() };
      for (const r of rows) {
        result.organization[r.metric] += r.n;
        if (r.unit_id === unitId) result.unit[r.metric] += r.n;
      }
      return result;
    },

    async addApiCalls(deltas: ApiCallDelta[]) {
      const rows = deltas.flatMap((d) => [
        { org_id: d.orgId, unit_id: d.unitId, month: d.month, metric: 'api_calls' as const, n: d.calls },
        ...(d.writes > 0 ? [{ org_id: d.orgId, unit_id: d.unitId, month: d.month, metric: 'api_writes' as const, n: d.writes }] : []),
      ]);
      if (rows.length > 0) await db.insertInto('usage_counters').values(rows).execute();
    },

    /**
     * Folds every (org, unit, month, metric) group of `sinceMonth` or later with more than one row
     * into one row, in one statement: each delta is deleted once and its count re-inserted by the
     * statement that deleted it, so concurrent compactions or inserts never lose or double a count.
     */
    async compact(sinceMonth: string) {
      await sql`
        with groups as (
          select org_id, unit_id, month, metric from usage_counters where month >= ${sinceMonth}
          group by org_id, unit_id, month, metric having count(*) > 1
        ),
        gone as (
          delete from usage_counters u using groups g
           where u.org_id = g.org_id and u.unit_id is not distinct from g.unit_id and u.month = g.month and u.metric = g.metric
          returning u.org_id, u.unit_id, u.month, u.metric, u.n
        )
        insert into usage_counters (org_id, unit_id, month, metric, n)
        select org_id, unit_id, month, metric, sum(n) from gone group by org_id, unit_id, month, metric
      `.execute(db);
    },
  };
}
