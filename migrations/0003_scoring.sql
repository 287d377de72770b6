-- Scoring: rulesets, rules, levels, decay rules, inorganic filters, surge policy (configuration),
-- and what the scoring worker writes: event scores, lead scores, score history, per-lead state.

create table rulesets (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  name text not null,
  score_column text not null default 'total_score',
  is_primary boolean not null default false,
  created_at timestamptz not null default now()
);
create unique index rulesets_unit_lower_name on rulesets (unit_id, lower(name));
-- At most one primary ruleset per OU.
create unique index rulesets_unit_primary on rulesets (unit_id) where is_primary;

create table scoring_rules (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  ruleset_id uuid not null references rulesets (id) on delete cascade,
  event_type text not null,
  weight integer not null,
  icon text,
  active boolean not null default true,
  start_at timestamptz,
  end_at timestamptz,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (start_at is null or end_at is null or start_at < end_at)
);
create index scoring_rules_unit_type on scoring_rules (unit_id, event_type);
create index scoring_rules_ruleset on scoring_rules (ruleset_id);

-- Engagement, profile and account levels share one table; overlaps are refused per (unit, kind).
create table levels (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  kind text not null check (kind in ('engagement', 'profile', 'account')),
  name text not null,
  min_score integer not null,
  max_score integer not null,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (min_score <= max_score)
);
create index levels_unit_kind on levels (unit_id, kind, min_score);

create table decay_rules (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  inactive_for integer not null check (inactive_for >= 1),
  unit text not null check (unit in ('hours', 'days', 'weeks')),
  decrease integer not null check (decrease >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index decay_rules_unit on decay_rules (unit_id);

create table inorganic_filters (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  event_type text not null,
  count_threshold integer not null check (count_threshold >= 1),
  time_window_ms bigint not null check (time_window_ms >= 1),
  group_events boolean not null default false,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index inorganic_filters_unit_type on inorganic_filters (unit_id, event_type);

create table surge_policies (
  unit_id uuid primary key references org_units (id) on delete cascade,
  org_id uuid not null references organizations (id) on delete cascade,
  mode text not null check (mode in ('off', 'standard', 'gentle', 'custom')),
  -- The effective bands: the preset's for standard/gentle, the given ones for custom, [] for off.
  bands jsonb not null default '[]'::jsonb,
  idle_reset_seconds integer not null default 1800 check (idle_reset_seconds >= 1),
  multiplier_cap numeric(6, 3) not null check (multiplier_cap between 1 and 3),
  updated_at timestamptz not null default now()
);

-- One row per (lead, ruleset): the running total the worker maintains.
create table lead_scores (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null,
  lead_id text not null,
  ruleset_id uuid not null references rulesets (id) on delete cascade,
  total_score integer not null default 0,
  level text,
  last_event_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (unit_id, lead_id, ruleset_id),
  foreign key (unit_id, lead_id) references leads (unit_id, id) on delete cascade
);
create index lead_scores_ruleset_score on lead_scores (ruleset_id, total_score desc);

-- Per-lead scoring state: the surge session and the last engagement (decay re-arming).
create table lead_scoring_state (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null,
  lead_id text not null,
  session_events integer not null default 0,
  session_last_at timestamptz,
  -- Latest occurred_at of a scored non-system event: decay counts inactivity from here.
  last_engaged_at timestamptz,
  last_event_at timestamptz,
  last_event_type text,
  primary key (unit_id, lead_id),
  foreign key (unit_id, lead_id) references leads (unit_id, id) on delete cascade
);
create index lead_scoring_state_engaged on lead_scoring_state (unit_id, last_engaged_at);

-- One row per (event, ruleset); the primary key is a last guard against scoring an event twice.
-- org_id carries no foreign key here or in score_history: the rows go with their event (and the
-- event with its organization), and one FK check less per row matters at thousands of rows/s.
create table event_scores (
  event_id uuid not null references events (id) on delete cascade,
  ruleset_id uuid not null references rulesets (id) on delete cascade,
  org_id uuid not null,
  unit_id uuid not null,
  lead_id text not null,
  event_type text not null,
  -- Snapshot of the matching rules: [{rule_id, event_type, weight}].
  rules jsonb not null default '[]'::jsonb,
  base integer not null,
  multiplier numeric(6, 3) not null,
  delta integer not null,
  score_before integer not null,
  score_after integer not null,
  inorganic boolean not null default false,
  surged boolean not null default false,
  session_events integer,
  decay_id uuid,
  occurred_at timestamptz not null,
  scored_at timestamptz not null default now(),
  primary key (event_id, ruleset_id)
);
create index event_scores_unit_lead_time on event_scores (unit_id, lead_id, occurred_at);
create index event_scores_ruleset_time on event_scores (ruleset_id, occurred_at);

create table score_history (
  id bigint generated always as identity primary key,
  org_id uuid not null,
  unit_id uuid not null,
  lead_id text not null,
  ruleset_id uuid not null references rulesets (id) on delete cascade,
  event_id uuid references events (id) on delete cascade,
  score integer not null,
  delta integer not null,
  occurred_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index score_history_lead on score_history (unit_id, lead_id, ruleset_id, occurred_at);

-- Which decay rule was applied for which inactivity period (anchored at last_engaged_at).
create table decay_applications (
  decay_id uuid not null references decay_rules (id) on delete cascade,
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null,
  lead_id text not null,
  anchor_at timestamptz not null,
  event_id uuid,
  applied_at timestamptz not null default now(),
  primary key (decay_id, unit_id, lead_id, anchor_at),
  foreign key (unit_id, lead_id) references leads (unit_id, id) on delete cascade
);
