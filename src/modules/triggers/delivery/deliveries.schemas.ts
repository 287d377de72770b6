import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { DeliveryAttemptsTable } from '../../../db/types.js';
import { pageQuery } from '../../../http/pagination.js';
import type { DeliveryRecord } from './deliveries.repository.js';

const STATUSES = ['pending', 'sending', 'succeeded', 'failed', 'skipped'] as const;
const KINDS = ['webhook', 'email', 'slack'] as const;

export const deliveriesQuery = pageQuery.extend({
  status: z.enum(STATUSES).optional(),
  kind: z.enum(KINDS).optional(),
  trigger_id: z.string().uuid().optional(),
  lead_id: z.string().min(1).max(128).optional(),
});
export const deliveryIdParams = z.object({ id: z.string().uuid() });

const attemptSchema = z.object({
  attempt: z.number().int(),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  http_status: z.number().int().nullable(),
  latency_ms: z.number().int(),
  error: z.string().nullable(),
  started_at: z.string(),
});

export const deliverySchema = z
  .object({
    delivery_id: z.string(),
    trigger_id: z.string(),
    firing_id: z.string(),
    lead_id: z.string(),
    kind: z.enum(KINDS),
    target: z.unknown(),
    payload: z.unknown(),
    status: z.enum(STATUSES),
    attempts: z.number().int().describe('attempts in the current cycle (a replay starts a new cycle)'),
    total_attempts: z.number().int(),
    next_attempt_at: z.string().nullable().describe('when a pending delivery is next tried'),
    last_error: z.string().nullable(),
    last_http_status: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    attempt_log: z.array(attemptSchema),
  })
  .meta({ id: 'Delivery' });

export const webhookSecretSchema = z.object({ secret: z.string(), rotated_at: z.string() }).meta({ id: 'WebhookSecret' });

export function toDelivery(row: DeliveryRecord & { attempt_log: Array<Selectable<DeliveryAttemptsTable>> }) {
  return {
    delivery_id: row.id,
    trigger_id: row.trigger_id,
    firing_id: row.firing_id,
    lead_id: row.lead_id,
    kind: row.kind,
    target: row.target,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    total_attempts: row.total_attempts,
    next_attempt_at: row.status === 'pending' ? row.due_at.toISOString() : null,
    last_error: row.last_error,
    last_http_status: row.last_http_status,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    attempt_log: row.attempt_log.map((a) => ({ attempt: a.attempt_no, status: a.status, http_status: a.http_status, latency_ms: a.latency_ms, error: a.error, started_at: a.started_at.toISOString() })),
  };
}
