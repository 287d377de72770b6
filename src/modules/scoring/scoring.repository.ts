import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Tenant } from '../../auth/tenant.js';
import { deleteInUnit, updateInUnit } from '../../db/unit-rows.js';
import type {
  DB,
  DecayRulesTable,
  InorganicFiltersTable,
  LevelKind,
  LevelsTable,
  RulesetsTable,
  ScoringRulesTable,
  SurgePoliciesTable,
} from '../../db/types.js';

export type Ruleset = Selectable<RulesetsTable>;
export type ScoringRule = Selectable<ScoringRulesTable>;
export type Level = Selectable<LevelsTable>;

// Kysely cannot build a query over a generic table name, so listInUnit runs its query on the union
// of its tables and restates, with a cast, the row type that T already fixes.

/** The OU's rows of a configuration table, oldest first. */
function listInUnit<T extends 'decay_rules' | 'inorganic_filters'>(db: Db, table: T, t: Tenant) {
  return db
    .selectFrom(table as 'decay_rules' | 'inorganic_filters')
    .selectAll()
    .where('org_id', '=', t.orgId)
    .where('unit_id', '=', t.unitId)
    .orderBy('created_at')
    .orderBy('id')
    .execute() as Promise<Array<Selectable<DB[T]>>>;
}

/** Scoring configuration: rulesets, rules, levels, decay rules, inorganic filters, surge policy. */
export function createScoringRepository(db: Db) {
  return {
    /** Serializes configuration changes of one OU (level overlap checks, primary switch). */
    async lockUnit(t: Tenant): Promise<void> {
      await db.selectFrom('org_units').select('id').where('id', '=', t.unitId).where('org_id', '=', t.orgId).forUpdate().execute();
    },

    listRulesets(t: Tenant) {
      return db
        .selectFrom('rulesets')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .orderBy('is_primary', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    findRuleset(t: Tenant, id: string) {
      return db.selectFrom('rulesets').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst();
    },
    findPrimaryRuleset(t: Tenant) {
      return db
        .selectFrom('rulesets')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('is_primary', '=', true)
        .executeTakeFirst();
    },
    async clearPrimary(t: Tenant) {
      await db.updateTable('rulesets').set({ is_primary: false }).where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).execute();
    },
    createRuleset(values: Insertable<RulesetsTable>) {
      return db.insertInto('rulesets').values(values).returningAll().executeTakeFirstOrThrow();
    },
    deleteRuleset: (t: Tenant, id: string) => deleteInUnit(db, 'rulesets', t, id),

    listRules(t: Tenant, rulesetId?: string) {
      return db
        .selectFrom('scoring_rules')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .$if(rulesetId !== undefined, (q) => q.where('ruleset_id', '=', rulesetId as string))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    findRule(t: Tenant, id: string) {
      return db.selectFrom('scoring_rules').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst();
    },
    createRule(values: Insertable<ScoringRulesTable>) {
      return db.insertInto('scoring_rules').values(values).returningAll().executeTakeFirstOrThrow();
    },
    async createRules(values: Insertable<ScoringRulesTable>[]): Promise<void> {
      if (values.length > 0) await db.insertInto('scoring_rules').values(values).execute();
    },
    async deleteRulesOfSource(t: Tenant, source: string): Promise<number> {
      const result = await db
        .deleteFrom('scoring_rules')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('source', '=', source)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    updateRule: (t: Tenant, id: string, values: Updateable<ScoringRulesTable>) => updateInUnit(db, 'scoring_rules', t, id, values),
    deleteRule: (t: Tenant, id: string) => deleteInUnit(db, 'scoring_rules', t, id),

    listLevels(t: Tenant, kind: LevelKind) {
      return db
        .selectFrom('levels')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .orderBy('min_score')
        .orderBy('id')
        .execute();
    },
    /** Levels of that kind whose range intersects [min, max], other than `exceptId`. */
    overlappingLevels(t: Tenant, kind: LevelKind, min: number, max: number, exceptId?: string) {
      return db
        .selectFrom('levels')
        .select(['id', 'name'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .where('min_score', '<=', max)
        .where('max_score', '>=', min)
        .$if(exceptId !== undefined, (q) => q.where('id', '!=', exceptId as string))
        .execute();
    },
    createLevel(values: Insertable<LevelsTable>) {
      return db.insertInto('levels').values(values).returningAll().executeTakeFirstOrThrow();
    },
    updateLevel(t: Tenant, kind: LevelKind, id: string, values: Updateable<LevelsTable>) {
      return db
        .updateTable('levels')
        .set({ ...values, updated_at: sql<Date>`now()` })
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    async deleteLevel(t: Tenant, kind: LevelKind, id: string): Promise<boolean> {
      const r = await db
        .deleteFrom('levels')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    listDecays: (t: Tenant) => listInUnit(db, 'decay_rules', t),
    createDecay(values: Insertable<DecayRulesTable>) {
      return db.insertInto('decay_rules').values(values).returningAll().executeTakeFirstOrThrow();
    },
    updateDecay: (t: Tenant, id: string, values: Updateable<DecayRulesTable>) => updateInUnit(db, 'decay_rules', t, id, values),
    deleteDecay: (t: Tenant, id: string) => deleteInUnit(db, 'decay_rules', t, id),

    listFilters: (t: Tenant) => listInUnit(db, 'inorganic_filters', t),
    createFilter(values: Insertable<InorganicFiltersTable>) {
      return db.insertInto('inorganic_filters').values(values).returningAll().executeTakeFirstOrThrow();
    },
    updateFilter: (t: Tenant, id: string, values: Updateable<InorganicFiltersTable>) => updateInUnit(db, 'inorganic_filters', t, id, values),
    deleteFilter: (t: Tenant, id: string) => deleteInUnit(db, 'inorganic_filters', t, id),

    findSurgePolicy(t: Tenant) {
      return db.selectFrom('surge_policies').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).executeTakeFirst();
    },
    upsertSurgePolicy(values: Insertable<SurgePoliciesTable>) {
      const { unit_id: _u, org_id: _o, ...rest } = values;
      return db
        .insertInto('surge_policies')
        .values(values)
        .onConflict((oc) => oc.columns(['org_id', 'unit_id']).doUpdateSet({ ...rest, updated_at: sql<Date>`now()` }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    findSettings(t: Tenant) {
      return db
        .selectFrom('org_units as u')
        .innerJoin('organizations as o', 'o.id', 'u.org_id')
        .select(['o.allow_negative_scores', 'o.abm_enabled', 'u.session_timeout_minutes'])
        .where('u.org_id', '=', t.orgId)
        .where('u.id', '=', t.unitId)
        .executeTakeFirstOrThrow();
    },
    async updateOrgToggles(orgId: string, values: { allow_negative_scores?: boolean; abm_enabled?: boolean }) {
      await db.updateTable('organizations').set(values).where('id', '=', orgId).execute();
    },
    async updateSessionTimeout(t: Tenant, minutes: number) {
      await db.updateTable('org_units').set({ session_timeout_minutes: minutes }).where('org_id', '=', t.orgId).where('id', '=', t.unitId).execute();
    },
  };
}

export type ScoringRepository = ReturnType<typeof createScoringRepository>;
