import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { OrdersTable } from '../../db/types.js';
import { leadIdSchema } from '../leads/leads.schemas.js';
import { dateTimeInput } from '../scoring/scoring.schemas.js';

/** numeric(16, 2); negative amounts are refunds. */
const amount = z.number().min(-99_999_999_999_999).max(99_999_999_999_999);

export const orderBody = z.object({
  lead_id: leadIdSchema.describe('A lead of the active OU'),
  order_id: z.string().trim().min(1).max(200).nullable().optional().describe('Your order number; unique in the OU (409 on a repeat)'),
  amount,
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'an ISO 4217 code of three letters')
    .transform((v) => v.toUpperCase())
    .describe('ISO 4217 code (stored upper case)'),
  occurred_at: dateTimeInput.optional().describe('YYYY-MM-DD or RFC3339; defaults to the receive time'),
  metadata: z.record(z.string().min(1).max(200), z.unknown()).default({}).describe('A JSON object of at most 100 KB serialized (413 above)'),
});
export type OrderInput = z.infer<typeof orderBody>;

export const orderSchema = z
  .object({
    id: z.string(),
    type: z.literal('order'),
    lead_id: z.string(),
    order_id: z.string().nullable(),
    amount: z.number(),
    currency: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    timestamp: z.string().describe('When the order happened (occurred_at)'),
    occurred_at: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'Order' });
export type Order = z.infer<typeof orderSchema>;

export function toOrder(row: Selectable<OrdersTable>): Order {
  const occurredAt = row.occurred_at.toISOString();
  const metadata = typeof row.metadata === 'object' && row.metadata !== null && !Array.isArray(row.metadata) ? row.metadata : {};
  return {
    id: row.id,
    type: 'order',
    lead_id: row.lead_id,
    order_id: row.order_id,
    amount: Number(row.amount),
    currency: row.currency,
    metadata,
    timestamp: occurredAt,
    occurred_at: occurredAt,
    created_at: row.created_at.toISOString(),
  };
}
