import type { JsonObject } from '../../db/schema/common.js';
import type { AliasKind } from '../../db/schema/events.js';
import { AppError } from '../../http/errors.js';
import { assertStorable } from '../../http/storable.js';
import { SERVER_METADATA_KEYS } from '../events/system-events.js';
import { MAX_METADATA_BYTES, eventInputSchema, type EventInput } from './ingest.schemas.js';
import type { Tenant } from '../../auth/tenant.js';

export const CHANNELS = ['web', 'email', 'slack', 'webinar', 'crm', 'system'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Alias {
  kind: AliasKind;
  value: string;
}

/** An event validated and normalized, ready for the set-based insert. */
export interface PreparedEvent {
  orgId: string;
  unitId: string;
  leadId: string | null;
  /** Normalized, without duplicates, in request order. */
  aliases: Alias[];
  eventType: string;
  occurredAt: Date;
  receivedAt: Date;
  /** Serialized once here: it is both the size check and the value sent to the database. */
  metadataJson: string;
  /** metadata.channel when it names a known channel; else the channel comes from the event type. */
  metadataChannel: Channel | null;
  /** The client's idempotency key (semantics §2), or null. */
  messageId: string | null;
}

/** Semantics §2: email trimmed + lowercased, phone reduced to '+' and digits, others trimmed. */
export function normalizeAlias(kind: AliasKind, raw: string): string {
  if (kind === 'email') return raw.trim().toLowerCase();
  if (kind === 'phone') return raw.replace(/[^+\d]/g, '');
  return raw.trim();
}

export function channelOf(eventType: string, metadataChannel: Channel | null): Channel {
  if (metadataChannel) return metadataChannel;
  if (eventType.startsWith('email_')) return 'email';
  if (eventType.startsWith('slack_')) return 'slack';
  if (eventType.startsWith('webinar_')) return 'webinar';
  if (eventType.startsWith('crm_') || eventType.startsWith('deal_')) return 'crm';
  return 'web';
}

function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

/** Client metadata without the keys the server writes (docs/ingestion.md): a few lookups, no copy. */
function withoutServerKeys(metadata: JsonObject): JsonObject {
  for (const key of SERVER_METADATA_KEYS) if (Object.hasOwn(metadata, key)) delete metadata[key];
  return metadata;
}

/** Turns a validated input into a PreparedEvent; throws 400 (empty alias) or 413 (metadata size). */
export function prepareEvent(input: EventInput, tenant: Tenant, receivedAt: Date): PreparedEvent {
  const requested: Array<{ kind: AliasKind; raw: string }> = (input.aliases ?? []).map((a) => ({
    kind: a.alias_kind,
    raw: a.raw_value,
  }));
  if (input.alias_kind != null && input.alias != null) requested.push({ kind: input.alias_kind, raw: input.alias });

  const aliases: Alias[] = [];
  const seen = new Set<string>();
  for (const { kind, raw } of requested) {
    const value = normalizeAlias(kind, raw);
    if (!value) throw new AppError('validation_failed', `the ${kind} alias is empty after normalization`);
    const key = `${kind}\u0000${value}`;
    if (!seen.has(key)) {
      seen.add(key);
      aliases.push({ kind, value });
    }
  }

  const metadata = withoutServerKeys((input.metadata ?? {}) as JsonObject);
  const metadataJson = JSON.stringify(metadata);
  // Byte length only matters near the limit; the string length is a cheap lower bound.
  if (metadataJson.length * 3 > MAX_METADATA_BYTES && Buffer.byteLength(metadataJson) > MAX_METADATA_BYTES) {
    throw new AppError('payload_too_large', 'metadata is larger than 100 KB');
  }
  return {
    orgId: tenant.orgId,
    unitId: tenant.unitId,
    leadId: input.lead_id ?? null,
    aliases,
    eventType: input.event_type,
    occurredAt: input.timestamp ? new Date(input.timestamp) : receivedAt,
    receivedAt,
    metadataJson,
    metadataChannel: isChannel(metadata.channel) ? metadata.channel : null,
    messageId: input.message_id ?? null,
  };
}

/**
 * Validates an untyped item (a batch element or a CSV row) the way POST /events is validated: what
 * the database cannot store (the app-wide check of every body), then the schema.
 */
export function parseEvent(raw: unknown, tenant: Tenant, receivedAt: Date): PreparedEvent {
  assertStorable(raw, 'body');
  const parsed = eventInputSchema.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({
      field: ['body', ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    throw new AppError('validation_failed', `invalid input: ${details.map((d) => d.field).join(', ')}`, details);
  }
  return prepareEvent(parsed.data, tenant, receivedAt);
}
