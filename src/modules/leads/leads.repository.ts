import type { Db } from '../../db/database.js';
import type { Tenant } from '../../auth/tenant.js';

/** The `leads` table and reads of a lead's aliases; the only module that writes lead rows (see docs/architecture.md). */
export function createLeadsRepository(db: Db) {
  return {
    findLead(t: Tenant, leadId: string) {
      return db
        .selectFrom('leads')
        .select(['id', 'created_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('id', '=', leadId)
        .executeTakeFirst();
    },

    listAliases(t: Tenant, leadId: string) {
      return db
        .selectFrom('lead_aliases')
        .select(['kind', 'value', 'created_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('lead_id', '=', leadId)
        .orderBy('created_at')
        .orderBy('kind')
        .orderBy('value')
        .execute();
    },
  };
}

export type LeadsRepository = ReturnType<typeof createLeadsRepository>;
