import { sql } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { PropertyKind } from '../../db/types.js';
import { propertyScore } from './property-score.js';
import type { RuleRow } from './property-scoring.schemas.js';

export interface ScoreAndLevel {
  score: number;
  level: string | null;
}

/** Longest list of distinct metadata keys answered (a guard against runaway key sets). */
const MAX_KEYS = 1000;

/** Reads of profile and account scores and properties; scores are computed in SQL from the current rules. */
export function createPropertyScoresRepository(db: Db) {
  /** The score of one row's metadata under `rules`, and the level of `kind` whose range holds it. */
  async function scoreOf(t: Tenant, kind: PropertyKind, id: string, rules: RuleRow[]): Promise<ScoreAndLevel | undefined> {
    const table = sql.raw(kind === 'profile' ? 'leads' : 'accounts');
    const { rows } = await sql<ScoreAndLevel>`
      select s.score,
             (select v.name from levels v where v.org_id = ${t.orgId} and v.unit_id = ${t.unitId} and v.kind = ${kind}
                 and s.score between v.min_score and v.max_score order by v.min_score limit 1) as level
        from (select ${propertyScore(sql.ref('r.metadata'), rules)} as score
                from ${table} r where r.org_id = ${t.orgId} and r.unit_id = ${t.unitId} and r.id = ${id}) s`.execute(db);
    return rows[0];
  }

  /** Distinct top-level metadata keys of the OU's leads (surviving ones) or accounts, sorted. */
  async function metadataKeys(t: Tenant, kind: PropertyKind): Promise<string[]> {
    const table = sql.raw(kind === 'profile' ? 'leads' : 'accounts');
    const survivors = kind === 'profile' ? sql`and r.merged_into is null` : sql``;
    const { rows } = await sql<{ key: string }>`
      select distinct k.key from ${table} r cross join lateral jsonb_object_keys(r.metadata) as k(key)
       where r.org_id = ${t.orgId} and r.unit_id = ${t.unitId} and jsonb_typeof(r.metadata) = 'object' ${survivors}
       order by k.key limit ${MAX_KEYS}`.execute(db);
    return rows.map((r) => r.key);
  }

  return { scoreOf, metadataKeys };
}
