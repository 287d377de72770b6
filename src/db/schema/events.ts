import type { ColumnType } from 'kysely';
import type { CreatedAt, DefaultedJson, DefaultedTimestamp, Generated, Timestamp } from './common.js';

export interface LeadsTable {
  org_id: string;
  unit_id: string;
  id: string;
  metadata: DefaultedJson;
  account_id: string | null;
  merged_into: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export type AliasKind = 'email' | 'phone' | 'external_id' | 'cookie' | 'social';

export interface LeadAliasesTable {
  org_id: string;
  unit_id: string;
  kind: AliasKind;
  value: string;
  lead_id: string;
  created_at: CreatedAt;
}

export interface EventsTable {
  id: Generated<string>;
  seq: Generated<number>;
  org_id: string;
  unit_id: string;
  lead_id: string;
  event_type: string;
  channel: string;
  metadata: DefaultedJson;
  occurred_at: Timestamp;
  received_at: DefaultedTimestamp;
  normalized: Generated<boolean>;
  normalized_parent: Generated<boolean>;
  raw_event_id: string | null;
  scored_at: Timestamp | null;
  /** Server-owned (migrations/0010): set only by the decay scheduler on the DECAY events it creates. */
  decay_id: string | null;
  decay_decrease: number | null;
  /** Generated from metadata (migrations/0045): the UTM keys as text, null unless a non-empty string. */
  utm_campaign: ColumnType<string | null, never, never>;
  utm_source: ColumnType<string | null, never, never>;
  utm_medium: ColumnType<string | null, never, never>;
}

/**
 * What the scoring worker wrote about an event (migrations/0071): readers show the event's
 * metadata as `events.metadata || patch` (src/db/event-outcomes.ts).
 */
export interface EventOutcomesTable {
  org_id: string;
  event_id: string;
  scored_at: DefaultedTimestamp;
  patch: DefaultedJson;
  burst_root: string | null;
  /** Generated from patch.score_delta: the primary ruleset's points. */
  score_delta: ColumnType<number | null, never, never>;
}

export interface EventTypeSettingsTable {
  org_id: string;
  unit_id: string;
  event_type: string;
  hidden: Generated<boolean>;
  max_processing_scope: Generated<'observe' | 'decide' | 'activate'>;
  canonical_type: string | null;
  updated_at: DefaultedTimestamp;
}

/** Idempotent ingestion (migrations/0013): the event each client message_id was stored as. */
export interface IngestMessagesTable {
  org_id: string;
  unit_id: string;
  message_id: string;
  event_id: string;
  lead_id: string;
  created_at: CreatedAt;
}

export interface EventsTables {
  leads: LeadsTable;
  ingest_messages: IngestMessagesTable;
  lead_aliases: LeadAliasesTable;
  events: EventsTable;
  event_outcomes: EventOutcomesTable;
  event_type_settings: EventTypeSettingsTable;
}
