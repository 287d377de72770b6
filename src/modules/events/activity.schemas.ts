import { z } from 'zod';
import { endInput, startInput } from '../../http/date-window.js';
import { orderSchema } from '../orders/orders.schemas.js';
import { eventSchema } from './events.schemas.js';

export const ACTIVITY_RANGES = ['all', 'last_7d', 'last_24h', 'last_30d', 'last_90d', 'today', 'yesterday', 'custom'] as const;
export const ACTIVITY_CHANNELS = ['all', 'web', 'email', 'slack', 'webinar', 'crm', 'system'] as const;

export const activityQuery = z.object({
  range: z.enum(ACTIVITY_RANGES).optional().describe('Default last_7d; custom takes start and end. Applies to events and orders'),
  start: startInput.describe('With range=custom (or without range): lower bound, YYYY-MM-DD or RFC3339'),
  end: endInput.describe('With range=custom (or without range): upper bound, inclusive; a bare date is the whole day'),
  channel: z.enum(ACTIVITY_CHANNELS).default('all').describe('Events only'),
  minScore: z.coerce.number().int().min(0).max(1_000_000_000).optional().describe('Events only: score_delta at least this (unscored counts as 0)'),
  maxLatency: z.coerce.number().int().min(1).max(2_147_483_647).optional().describe('Events only: received_at − occurred_at at most this many ms'),
  hasDelta: z.enum(['1', 'true', '0', 'false']).optional().describe('Events only: 1/true keeps events with a non-zero score_delta'),
});
export type ActivityQuery = z.infer<typeof activityQuery>;

export const activityEvent = eventSchema
  .extend({
    type: z.literal('event'),
    score_delta: z.number().int().nullable().describe('Points under the primary ruleset; null until scored (or never scored)'),
    latency_ms: z.number().int().describe('received_at − occurred_at'),
  })
  .meta({ id: 'ActivityEvent' });
export type ActivityEvent = z.infer<typeof activityEvent>;

export const activitySchema = z
  .object({
    events: z.array(activityEvent).describe('Newest first, at most 500'),
    orders: z.array(orderSchema).describe('Synthetic order items, newest first, at most 500'),
    timeline: z.array(z.discriminatedUnion('type', [activityEvent, orderSchema])).describe('Events and orders merged, newest first, at most 500'),
  })
  .meta({ id: 'LeadActivity' });
