import type { Insertable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { windowSql, type DateWindow } from '../../http/date-window.js';
import type { OrdersTable } from '../../db/types.js';

/** The orders table (migrations/0047), scoped to one OU. */
export function createOrdersRepository(db: Db) {
  return {
    insert: (row: Insertable<OrdersTable>) => db.insertInto('orders').values(row).returningAll().executeTakeFirstOrThrow(),

    /** A lead's orders in the window, newest first, at most `cap` (orders_unit_lead_time). */
    listForLead: (t: Tenant, leadId: string, w: DateWindow, cap: number) =>
      db
        .selectFrom('orders')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('lead_id', '=', leadId)
        .where(windowSql('occurred_at', w))
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(cap)
        .execute(),

    async moveToLead(t: Tenant, from: string[], to: string): Promise<number> {
      if (from.length === 0) return 0;
      const result = await db.updateTable('orders').set({ lead_id: to }).where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('lead_id', 'in', from).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
