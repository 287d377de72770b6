import type { CreatedAt, DefaultedJson, DefaultedTimestamp, Generated, Timestamp } from './common.js';

export type LevelKind = 'engagement' | 'profile' | 'account';
export type SurgeMode = 'off' | 'standard' | 'gentle' | 'custom';
export type DecayUnit = 'hours' | 'days' | 'weeks';

export interface RulesetsTable {
  id: Generated<string>;
  org_id: string;
  unit_id: string;
  name: string;
  score_column: Generated<string>;
  is_primary: Generated<boolean>;
  created_at: CreatedAt;
}

export interface ScoringRulesTable {
  id: Generated<string>;
  org_id: string;
  unit_id: string;
  ruleset_id: string;
  event_type: string;
  weight: number;
  icon: string | null;
  active: Generated<boolean>;
  start_at: Timestamp | null;
  end_at: Timestamp | null;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
  /** 'seed' for a rule made by POST /admin/seed (migrations/0029), else null. */
  source: string | null;
}

export interface LevelsTable {
  id: Generated<string>;
  org_id: string;
  unit_id: string;
  kind: LevelKind;
  name: string;
  min_score: number;
  max_score: number;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface DecayRulesTable {
  id: Generated<string>;
  org_id: string;
  unit_id: string;
  inactive_for: number;
  unit: DecayUnit;
  decrease: number;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface InorganicFiltersTable {
  id: Generated<string>;
  org_id: string;
  unit_id: string;
  event_type: string;
  count_threshold: number;
  time_window_ms: number;
  group_events: Generated<boolean>;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface SurgePoliciesTable {
  unit_id: string;
  org_id: string;
  mode: SurgeMode;
  bands: DefaultedJson;
  idle_reset_seconds: Generated<number>;
  multiplier_cap: number;
  updated_at: DefaultedTimestamp;
}

export interface LeadScoresTable {
  org_id: string;
  unit_id: string;
  lead_id: string;
  ruleset_id: string;
  total_score: Generated<number>;
  level: string | null;
  last_event_at: Timestamp | null;
  updated_at: DefaultedTimestamp;
}

export interface LeadScoringStateTable {
  org_id: string;
  unit_id: string;
  lead_id: string;
  session_events: Generated<number>;
  session_last_at: Timestamp | null;
  last_engaged_at: Timestamp | null;
  last_event_at: Timestamp | null;
  last_event_type: string | null;
}

export interface EventScoresTable {
  event_id: string;
  ruleset_id: string;
  org_id: string;
  unit_id: string;
  lead_id: string;
  event_type: string;
  rules: DefaultedJson;
  base: number;
  multiplier: number;
  delta: number;
  score_before: number;
  score_after: number;
  inorganic: Generated<boolean>;
  surged: Generated<boolean>;
  session_events: number | null;
  decay_id: string | null;
  occurred_at: Timestamp;
  scored_at: DefaultedTimestamp;
}

/** A view over event_scores (migrations/0008): read-only. */
export interface ScoreHistoryView {
  id: number;
  org_id: string;
  unit_id: string;
  lead_id: string;
  ruleset_id: string;
  event_id: string;
  score: number;
  delta: number;
  occurred_at: Date;
  created_at: Date;
}

export interface DecayApplicationsTable {
  decay_id: string;
  org_id: string;
  unit_id: string;
  lead_id: string;
  anchor_at: Timestamp;
  event_id: string | null;
  applied_at: DefaultedTimestamp;
}

/** Scoring tables (rulesets, rules, levels, decays, filters, surge policy, score rows): issue 4. */
export interface ScoringTables {
  rulesets: RulesetsTable;
  scoring_rules: ScoringRulesTable;
  levels: LevelsTable;
  decay_rules: DecayRulesTable;
  inorganic_filters: InorganicFiltersTable;
  surge_policies: SurgePoliciesTable;
  lead_scores: LeadScoresTable;
  lead_scoring_state: LeadScoringStateTable;
  event_scores: EventScoresTable;
  score_history: ScoreHistoryView;
  decay_applications: DecayApplicationsTable;
}
