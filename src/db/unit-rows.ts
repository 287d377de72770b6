import { sql, type Selectable, type Updateable } from 'kysely';
import type { Tenant } from '../auth/tenant.js';
import type { Db } from './database.js';
import type { DB } from './types.js';

/** Configuration tables whose rows belong to one OU, are addressed by `id` and stamp `updated_at`. */
export type UnitRowTable = 'scoring_rules' | 'decay_rules' | 'inorganic_filters' | 'field_mappings' | 'property_rulesets' | 'property_rules';

/** A further column a row must match besides its OU and id (a mapping's kind, a rule's ruleset). */
export interface RowScope {
  column: 'kind' | 'ruleset_id';
  value: string;
}

// Kysely cannot build a query over a generic table name, so these helpers run their query on one
// member of the union and restate, with casts, the row type that T already fixes.

/** Updates one row of the OU by id (stamping updated_at); undefined when it is not there (another OU's included). */
export function updateInUnit<T extends UnitRowTable>(db: Db, table: T, t: Tenant, id: string, values: Updateable<DB[T]>, scope?: RowScope) {
  return db
    .updateTable(table as 'field_mappings')
    .set({ ...(values as Updateable<DB['field_mappings']>), updated_at: sql<Date>`now()` })
    .where('org_id', '=', t.orgId)
    .where('unit_id', '=', t.unitId)
    .where('id', '=', id)
    .$if(scope !== undefined, (q) => q.where(sql.ref(scope?.column as string), '=', scope?.value))
    .returningAll()
    .executeTakeFirst() as Promise<Selectable<DB[T]> | undefined>;
}

/** Deletes one row of the OU by id; false when it is not there (another OU's included). */
export async function deleteInUnit(db: Db, table: UnitRowTable | 'rulesets', t: Tenant, id: string, scope?: RowScope): Promise<boolean> {
  const r = await db
    .deleteFrom(table as 'field_mappings')
    .where('org_id', '=', t.orgId)
    .where('unit_id', '=', t.unitId)
    .where('id', '=', id)
    .$if(scope !== undefined, (q) => q.where(sql.ref(scope?.column as string), '=', scope?.value))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
