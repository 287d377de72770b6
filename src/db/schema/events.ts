import type { CreatedAt, Generated, Json, Timestamp } from './common.js';

export interface LeadsTable {
  org_id: string;
  unit_id: string;
  id: string;
  metadata: Generated<Json>;
  account_id: string | null;
  merged_into: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Timestamp>;
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
  metadata: Generated<Json>;
  occurred_at: Timestamp;
  received_at: Generated<Timestamp>;
  normalized: Generated<boolean>;
  normalized_parent: Generated<boolean>;
  raw_event_id: string | null;
  scored_at: Timestamp | null;
}

export interface EventTypeSettingsTable {
  org_id: string;
  unit_id: string;
  event_type: string;
  hidden: Generated<boolean>;
  max_processing_scope: Generated<'observe' | 'decide' | 'activate'>;
  canonical_type: string | null;
  updated_at: Generated<Timestamp>;
}

export interface EventsTables {
  leads: LeadsTable;
  lead_aliases: LeadAliasesTable;
  events: EventsTable;
  event_type_settings: EventTypeSettingsTable;
}
