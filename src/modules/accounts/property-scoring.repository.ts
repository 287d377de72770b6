import { sql, type Insertable, type Updateable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { deleteInUnit, updateInUnit } from '../../db/unit-rows.js';
import type { FieldMappingsTable, PropertyKind, PropertyRulesTable } from '../../db/types.js';
import type { MappingRow, RuleRow, RulesetRow } from './property-scoring.schemas.js';

type MappingValues = Pick<Insertable<FieldMappingsTable>, 'source_field' | 'property' | 'update_behavior'>;
type RuleValues = Pick<Insertable<PropertyRulesTable>, 'property' | 'condition' | 'comparison_value' | 'weight' | 'ui_order'>;

/** Field mappings, property rulesets and their rules (migrations/0040), of one kind at a time. */
export function createPropertyScoringRepository(db: Db) {
  const scoped = <T extends 'field_mappings' | 'property_rulesets'>(table: T, t: Tenant, kind: PropertyKind) =>
    db.selectFrom(table as 'field_mappings').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('kind', '=', kind);

  return {
    listMappings(t: Tenant, kind: PropertyKind): Promise<MappingRow[]> {
      return scoped('field_mappings', t, kind).selectAll().orderBy('created_at').orderBy('id').execute();
    },
    /** Undefined when the OU already maps this source field onto this property. */
    insertMapping(t: Tenant, kind: PropertyKind, values: MappingValues): Promise<MappingRow | undefined> {
      return db
        .insertInto('field_mappings')
        .values({ org_id: t.orgId, unit_id: t.unitId, kind, ...values })
        .onConflict((oc) => oc.columns(['org_id', 'unit_id', 'kind', 'source_field', 'property']).doNothing())
        .returningAll()
        .executeTakeFirst();
    },
    findMapping(t: Tenant, kind: PropertyKind, id: string): Promise<MappingRow | undefined> {
      return scoped('field_mappings', t, kind).selectAll().where('id', '=', id).executeTakeFirst();
    },
    updateMapping: (t: Tenant, kind: PropertyKind, id: string, values: Updateable<FieldMappingsTable>): Promise<MappingRow | undefined> =>
      updateInUnit(db, 'field_mappings', t, id, values, { column: 'kind', value: kind }),
    deleteMapping: (t: Tenant, kind: PropertyKind, id: string) => deleteInUnit(db, 'field_mappings', t, id, { column: 'kind', value: kind }),

    /** Every mapping of the given OUs, both kinds, oldest first (ingestion reads them per written batch). */
    async mappingsOfUnits(units: Tenant[]): Promise<MappingRow[]> {
      if (units.length === 0) return [];
      const { rows } = await sql<MappingRow>`
        select m.* from field_mappings m
        join unnest(${units.map((u) => u.orgId)}::uuid[], ${units.map((u) => u.unitId)}::uuid[]) as u(org_id, unit_id)
          on m.org_id = u.org_id and m.unit_id = u.unit_id
        order by m.created_at, m.id`.execute(db);
      return rows;
    },

    listRulesets(t: Tenant, kind: PropertyKind): Promise<RulesetRow[]> {
      return db
        .selectFrom('property_rulesets')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    findRuleset(t: Tenant, kind: PropertyKind, id: string): Promise<RulesetRow | undefined> {
      return db.selectFrom('property_rulesets').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
    },
    /** Undefined when the name is taken (any case) in the OU. */
    insertRuleset(t: Tenant, kind: PropertyKind, values: { name: string; enabled: boolean; is_primary: boolean }): Promise<RulesetRow | undefined> {
      return sql<RulesetRow>`insert into property_rulesets (org_id, unit_id, kind, name, enabled, is_primary)
        values (${t.orgId}, ${t.unitId}, ${kind}, ${values.name}, ${values.enabled}, ${values.is_primary})
        on conflict (org_id, unit_id, kind, lower(name)) do nothing returning *`.execute(db).then((r) => r.rows[0]);
    },
    updateRuleset: (t: Tenant, kind: PropertyKind, id: string, values: { name: string; enabled: boolean; is_primary: boolean }): Promise<RulesetRow | undefined> =>
      updateInUnit(db, 'property_rulesets', t, id, values, { column: 'kind', value: kind }),
    /** Before a ruleset becomes primary: no other of its kind stays primary. */
    async clearPrimary(t: Tenant, kind: PropertyKind, exceptId: string | null): Promise<void> {
      await db
        .updateTable('property_rulesets')
        .set({ is_primary: false, updated_at: sql`now()` })
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .where('is_primary', '=', true)
        .$if(exceptId !== null, (q) => q.where('id', '!=', exceptId as string))
        .execute();
    },
    /** Serializes primary changes of one OU and kind (a transaction-scoped lock on the OU's rulesets). */
    async lockRulesets(t: Tenant, kind: PropertyKind): Promise<void> {
      await sql`select pg_advisory_xact_lock(4212040, hashtext(${t.unitId}::text || ':' || ${kind}))`.execute(db);
    },
    deleteRuleset: (t: Tenant, kind: PropertyKind, id: string) => deleteInUnit(db, 'property_rulesets', t, id, { column: 'kind', value: kind }),

    listRules(t: Tenant, rulesetId: string): Promise<RuleRow[]> {
      return db
        .selectFrom('property_rules')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('ruleset_id', '=', rulesetId)
        .orderBy('ui_order')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    findRule(t: Tenant, rulesetId: string, id: string): Promise<RuleRow | undefined> {
      return db.selectFrom('property_rules').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('ruleset_id', '=', rulesetId).where('id', '=', id).executeTakeFirst();
    },
    insertRule(t: Tenant, rulesetId: string, values: RuleValues): Promise<RuleRow> {
      return db.insertInto('property_rules').values({ org_id: t.orgId, unit_id: t.unitId, ruleset_id: rulesetId, ...values }).returningAll().executeTakeFirstOrThrow();
    },
    updateRule: (t: Tenant, rulesetId: string, id: string, values: Partial<RuleValues>): Promise<RuleRow | undefined> =>
      updateInUnit(db, 'property_rules', t, id, values, { column: 'ruleset_id', value: rulesetId }),
    deleteRule: (t: Tenant, rulesetId: string, id: string) => deleteInUnit(db, 'property_rules', t, id, { column: 'ruleset_id', value: rulesetId }),

    /**
     * The rules that score a kind: those of the primary ruleset when it is enabled, else of the oldest
     * enabled ruleset (semantics §5); none without an enabled ruleset.
     */
    async scoringRules(t: Tenant, kind: PropertyKind): Promise<{ rulesetId: string | null; rules: RuleRow[] }> {
      const set = await db
        .selectFrom('property_rulesets')
        .select('id')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .where('enabled', '=', true)
        .orderBy('is_primary', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return set ? { rulesetId: set.id, rules: await this.listRules(t, set.id) } : { rulesetId: null, rules: [] };
    },
  };
}

export type PropertyScoringRepository = ReturnType<typeof createPropertyScoringRepository>;
