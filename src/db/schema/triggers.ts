import type { ColumnType } from 'kysely';
import type { CreatedAt, DefaultedTimestamp, Generated, Json, Timestamp } from './common.js';

export type TriggerKind = 'milestone' | 'sequence' | 'pattern' | 'surge';
export type WindowUnit = 'seconds' | 'minutes' | 'hours' | 'days';
export type DeliveryKind = 'webhook' | 'email' | 'slack';
export type DeliveryStatus = 'pending' | 'sending' | 'succeeded' | 'failed' | 'skipped';
type TextArray = ColumnType<string[], string[] | undefined, string[]>;

/** Triggers of every kind (migrations/0030); kind-specific columns are null for the others. */
export interface TriggersTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  kind: TriggerKind;
  name: string | null;
  description: string | null;
  active: Generated<boolean>;
  event_type: string | null;
  score_threshold: number | null;
  event_types: string[] | null;
  ordered: boolean | null;
  fire_mode: 'once' | 'every' | null;
  window_seconds: number | null;
  window_unit: WindowUnit | null;
  conditions: Json | null;
  threshold_count: number | null;
  webhook_url: string | null;
  emails: TextArray;
  email_subject: string | null;
  email_preheader: string | null;
  email_message: string | null;
  slack_target_kind: 'channel' | 'user' | 'default' | null;
  slack_target_id: string | null;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface TriggerFiringsTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  trigger_id: string;
  kind: TriggerKind;
  lead_id: string;
  event_id: string;
  event_type: string;
  event_seq: number;
  event_at: Timestamp;
  score: number | null;
  fire_key: string;
  delivered: boolean;
  fired_at: DefaultedTimestamp;
}

export interface DeliveriesTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  firing_id: string;
  trigger_id: string;
  lead_id: string;
  kind: DeliveryKind;
  target: Json;
  payload: Json;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  total_attempts: Generated<number>;
  due_at: DefaultedTimestamp;
  lease_token: string | null;
  last_error: string | null;
  last_http_status: number | null;
  event_received_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
  completed_at: Timestamp | null;
}

export interface DeliveryAttemptsTable {
  org_id: string;
  delivery_id: string;
  attempt_no: number;
  unit_id: string;
  status: 'succeeded' | 'failed' | 'skipped';
  http_status: number | null;
  latency_ms: number;
  error: string | null;
  started_at: Timestamp;
  finished_at: DefaultedTimestamp;
}

export interface TriggersTables {
  triggers: TriggersTable;
  trigger_firings: TriggerFiringsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
}
