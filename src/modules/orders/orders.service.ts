import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { DateWindow } from '../../http/date-window.js';
import { AppError, conflict } from '../../http/errors.js';
import { MAX_METADATA_BYTES } from '../ingest/ingest.schemas.js';
import type { LeadsService } from '../leads/leads.service.js';
import { createOrdersRepository } from './orders.repository.js';
import { toOrder, type Order, type OrderInput } from './orders.schemas.js';

export interface OrdersServiceDeps {
  db: Db;
  leads: Pick<LeadsService, 'requireLead'>;
}

/** Lead merge: the sources' orders move to the target (inside the merge transaction `trx`). */
export function moveLeadOrders(trx: Db, t: Tenant, from: string[], to: string): Promise<number> {
  return createOrdersRepository(trx).moveToLead(t, from, to);
}

/** Orders of leads (semantics §8): stored as they are, never scored; the activity stream reads them. */
export function createOrdersService(deps: OrdersServiceDeps) {
  const repo = createOrdersRepository(deps.db);
  return {
    async create(t: Tenant, input: OrderInput): Promise<Order> {
      await deps.leads.requireLead(t, input.lead_id);
      const metadata = JSON.stringify(input.metadata);
      if (Buffer.byteLength(metadata) > MAX_METADATA_BYTES) throw new AppError('payload_too_large', 'metadata is larger than 100 KB');
      const row = await repo
        .insert({
          org_id: t.orgId,
          unit_id: t.unitId,
          lead_id: input.lead_id,
          order_id: input.order_id ?? null,
          amount: input.amount,
          currency: input.currency,
          occurred_at: input.occurred_at ?? new Date(),
          metadata,
        })
        .catch((err: unknown) => {
          if (isUniqueViolation(err, 'orders_unit_order_id')) throw conflict('an order with this order_id already exists in the OU');
          throw err;
        });
      return toOrder(row);
    },

    /** A lead's orders in the window as activity items, newest first (the lead is checked by the caller). */
    async listForLead(t: Tenant, leadId: string, w: DateWindow, cap: number): Promise<Order[]> {
      return (await repo.listForLead(t, leadId, w, cap)).map(toOrder);
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
