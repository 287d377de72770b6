import type { Insertable, Updateable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { SegmentRulesTable, SegmentsTable } from '../../db/types.js';

/** The segments and segment_rules tables (migrations/0028), always scoped to one OU. */
export function createSegmentsRepository(db: Db) {
  const segments = (t: Tenant) => db.selectFrom('segments').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId);
  const rules = (t: Tenant, segmentId: string) =>
    db
      .selectFrom('segment_rules')
      .selectAll()
      .where('org_id', '=', t.orgId)
      .where('unit_id', '=', t.unitId)
      .where('segment_id', '=', segmentId);

  return {
    list: (t: Tenant) => segments(t).orderBy('created_at').orderBy('id').execute(),
    find: (t: Tenant, id: string) => segments(t).where('id', '=', id).executeTakeFirst(),
    create: (row: Insertable<SegmentsTable>) => db.insertInto('segments').values(row).returningAll().executeTakeFirstOrThrow(),
    update: (t: Tenant, id: string, patch: Updateable<SegmentsTable>) =>
      db
        .updateTable('segments')
        .set({ ...patch, updated_at: new Date() })
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
    async remove(t: Tenant, id: string) {
      const result = await db.deleteFrom('segments').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /** Every rule in evaluation order: group, then `order_index`, then creation. */
    listRules: (t: Tenant, segmentId: string) =>
      rules(t, segmentId).orderBy('logic_group').orderBy('order_index').orderBy('created_at').orderBy('id').execute(),
    findRule: (t: Tenant, segmentId: string, ruleId: string) => rules(t, segmentId).where('id', '=', ruleId).executeTakeFirst(),
    createRule: (row: Insertable<SegmentRulesTable>) => db.insertInto('segment_rules').values(row).returningAll().executeTakeFirstOrThrow(),
    updateRule: (t: Tenant, segmentId: string, ruleId: string, patch: Updateable<SegmentRulesTable>) =>
      db
        .updateTable('segment_rules')
        .set({ ...patch, updated_at: new Date() })
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('segment_id', '=', segmentId)
        .where('id', '=', ruleId)
        .returningAll()
        .executeTakeFirst(),
    async removeRule(t: Tenant, segmentId: string, ruleId: string) {
      const result = await db
        .deleteFrom('segment_rules')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('segment_id', '=', segmentId)
        .where('id', '=', ruleId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
