import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';
import type { EventRow, EventFilter } from './events.repository.js';

const timestamp = z.string();
const count = z.number().int();

/** An engagement event as the read endpoints return it. */
export const eventSchema = z
  .object({
    id: z.string(),
    lead_id: z.string(),
    event_type: z.string(),
    channel: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    timestamp: timestamp.describe('When the event happened (the ingested `timestamp`); same as occurred_at'),
    occurred_at: timestamp,
    received_at: timestamp,
    normalized: z.boolean(),
    normalized_parent: z.boolean(),
    raw_event_id: z.string().nullable().describe('On the canonical row of a normalized pair: the raw row'),
    scored_at: timestamp.nullable().describe('NULL until the scoring worker has scored the event'),
  })
  .meta({ id: 'EngagementEvent' });

export type ApiEvent = z.infer<typeof eventSchema>;

export function toEvent(row: EventRow): ApiEvent {
  const occurredAt = row.occurred_at.toISOString();
  return {
    id: row.id,
    lead_id: row.lead_id,
    event_type: row.event_type,
    channel: row.channel,
    metadata: isObject(row.metadata) ? row.metadata : {},
    timestamp: occurredAt,
    occurred_at: occurredAt,
    received_at: row.received_at.toISOString(),
    normalized: row.normalized,
    normalized_parent: row.normalized_parent,
    raw_event_id: row.raw_event_id,
    scored_at: row.scored_at ? row.scored_at.toISOString() : null,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `metadata=key:value`; the key is everything before the first colon, the value may hold colons. */
const metadataFilter = z
  .string()
  .max(1024)
  .regex(/^[^:]+:/, 'use key:value with a non-empty key');

/** A query parameter given once arrives as a string, given twice as an array: always an array. */
const repeatable = (value: unknown) => (value === undefined || Array.isArray(value) ? value : [value]);

export const filterQuery = z.object({
  metadata: z
    .preprocess(repeatable, z.array(metadataFilter).max(20))
    .optional()
    .describe('Repeatable metadata key:value filters (e.g. metadata=utm_campaign:fall2025); values compare as text'),
  logic: z.enum(['and', 'or']).default('and').describe('Combine metadata filters with AND (default) or OR'),
});

export const listQuery = pageQuery.extend(filterQuery.shape);

export function toFilter(query: z.infer<typeof filterQuery>): EventFilter {
  const metadata = (query.metadata ?? []).map((pair) => {
    const colon = pair.indexOf(':');
    return { key: pair.slice(0, colon), value: pair.slice(colon + 1) };
  });
  return { metadata, logic: query.logic };
}

export const leadParams = z.object({
  leadID: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:@-]+$/, 'lead ids are 1-128 chars of [A-Za-z0-9_.:@-]'),
});

export const batchDeleteBody = z.object({
  ids: z.array(z.string().uuid()).min(1).max(1000),
});

export const batchDeleteResult = z.object({
  deleted: count.describe('Events removed'),
  not_found: z.array(z.string()).describe('Requested ids that are not events of the active OU (nothing was deleted)'),
});

const typeCount = z.object({ event_type: z.string(), count });

export const statsSchema = z
  .object({
    last_24h: z.object({ events: count, leads: count }),
    top_events: z.array(typeCount).describe('Up to 10 event types by count in the last 24 hours'),
  })
  .meta({ id: 'EventStats' });

export const analyticsSchema = z
  .object({
    totals: z.object({
      events: count,
      leads: count,
      event_types: count,
      last_24h: count,
      last_7d: count,
      last_30d: count,
    }),
    by_type: z.record(z.string(), count).describe('Event count per event type'),
  })
  .meta({ id: 'EventAnalytics' });
