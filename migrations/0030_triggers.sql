-- Triggers (semantics §7, docs/triggers.md): milestone, sequence, pattern and (paused) surge
-- triggers in one table, so the scoring worker learns whether an OU has any active trigger with
-- one index probe per batch. Kind-specific columns are null for the other kinds.
create table triggers (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  kind text not null check (kind in ('milestone', 'sequence', 'pattern', 'surge')),
  name text,
  description text,
  active boolean not null default true,
  -- milestone: the event type and primary-score threshold; surge: the optional event type.
  event_type text,
  score_threshold integer,
  -- sequence: the steps, ordered or not, and whether it fires once per lead or after every new run.
  event_types text[],
  ordered boolean,
  fire_mode text check (fire_mode in ('once', 'every')),
  -- sequence and surge: window_seconds counts window_unit; pattern: seconds.
  window_seconds integer,
  window_unit text check (window_unit in ('seconds', 'minutes', 'hours', 'days')),
  -- pattern: [{event_type, min_count}]
  conditions jsonb,
  -- surge
  threshold_count integer,
  webhook_url text,
  emails text[] not null default '{}',
  email_subject text,
  email_preheader text,
  email_message text,
  slack_target_kind text check (slack_target_kind in ('channel', 'user', 'default')),
  slack_target_id text,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id)
);
-- Lists by kind, and the worker's "active triggers of these OUs" probe.
create index triggers_unit_kind on triggers (org_id, unit_id, kind, created_at, id);

-- A firing (the "emitted milestone/sequence events"): written in the scoring transaction of the
-- event that caused it. The unique key is the once-per-lead guarantee: fire_key is 'once' for a
-- milestone and a `once` sequence, the completing event for an `every` sequence, and the
-- tumbling window index for a pattern (docs/triggers.md).
create table trigger_firings (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  trigger_id uuid not null,
  kind text not null,
  lead_id text not null,
  event_id uuid not null,
  event_type text not null,
  event_seq bigint not null,
  event_at timestamptz not null,
  -- The lead's primary score after the event.
  score integer,
  fire_key text not null,
  -- activate scope: its deliveries were written; decide scope: recorded only.
  delivered boolean not null,
  fired_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, trigger_id) references triggers (org_id, id) on delete cascade,
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade
);
create unique index trigger_firings_once on trigger_firings (org_id, trigger_id, lead_id, fire_key);
create index trigger_firings_unit_kind_time on trigger_firings (org_id, unit_id, kind, fired_at desc, id desc);
