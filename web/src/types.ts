export interface Unit {
  unit_id: string;
  name: string;
  slug: string;
  role: 'Owner' | 'Operator' | 'Viewer';
}
export interface OrgUnits {
  units: Unit[];
  organization: { org_id: string; name: string };
}
export interface Me {
  org_member_id: string;
  first_name: string;
  last_name: string;
  email: string;
  role: string;
}
export interface LeadRow {
  lead_id: string;
  score: number;
  level: string | null;
  last_event_at: string | null;
  last_event_type: string | null;
  account_id: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
}
export interface LeadPage {
  leads: LeadRow[];
  total: number;
  page: number;
  limit: number;
}
export interface Rule {
  rule_id: string;
  ruleset_id: string;
  event_type: string;
  weight: number;
  active: boolean;
}
export interface Level {
  level_id: string;
  name: string;
  min_score: number;
  max_score: number;
}
export interface Decay {
  decay_id: string;
  inactive_for: number;
  unit: 'hours' | 'days' | 'weeks';
  decrease: number;
}
export interface SurgePolicy {
  mode: 'off' | 'standard' | 'gentle' | 'custom';
  bands: Array<{ min_events: number; multiplier: number }>;
  idle_reset_seconds: number;
  multiplier_cap: number;
}
export interface Segment {
  segment_id: string;
  name: string;
  active: boolean;
}
export interface SegmentRule {
  rule_id: string;
  rule_type: 'lead_metadata' | 'event_metadata';
  field_name: string;
  operator: string;
  value: string | null;
  event_type: string | null;
}
/** The live stream's messages: one definition, the server's (src/live/live-events.ts). */
export type { LiveEventMap as LiveEvents, TriggerFired } from '../../src/live/live-events';
/** A row of GET /analytics/campaigns: the server's response schema (src/modules/analytics). */
export type { CampaignRow } from '../../src/modules/analytics/analytics.schemas';
