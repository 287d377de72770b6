-- Leads, their aliases, engagement events (the durable scoring queue) and per-OU event-type settings.

create table leads (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  -- Client-chosen on POST /leads (1–128 chars of [A-Za-z0-9_.:@-]); a UUID when made by ingestion.
  id text not null,
  metadata jsonb not null default '{}'::jsonb,
  account_id text,
  -- Set when this lead was merged into another; resolution follows it to the survivor.
  merged_into text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (unit_id, id)
);
create index leads_org on leads (org_id);

create table lead_aliases (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null,
  kind text not null check (kind in ('email', 'phone', 'external_id', 'cookie', 'social')),
  -- Normalized (semantics §2): email trimmed + lowercased, phone '+' and digits, others trimmed.
  value text not null,
  lead_id text not null,
  created_at timestamptz not null default now(),
  -- One lead per (OU, kind, value): the unique key that makes concurrent resolution safe.
  primary key (unit_id, kind, value),
  foreign key (unit_id, lead_id) references leads (unit_id, id) on delete cascade
);
create index lead_aliases_lead on lead_aliases (unit_id, lead_id);

create table events (
  id uuid primary key default gen_random_uuid(),
  -- Ingestion order: the worker scores each lead's events in this order.
  seq bigint generated always as identity,
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null,
  lead_id text not null,
  event_type text not null,
  channel text not null,
  metadata jsonb not null default '{}'::jsonb,
  occurred_at timestamptz not null,
  received_at timestamptz not null default now(),
  -- Normalized pairs (semantics §2): the raw row has normalized=true, normalized_parent=false;
  -- the canonical row normalized=true, normalized_parent=true and points at the raw row.
  normalized boolean not null default false,
  normalized_parent boolean not null default false,
  raw_event_id uuid,
  -- NULL until the scoring worker has committed this event's scores: the durable queue.
  scored_at timestamptz,
  foreign key (unit_id, lead_id) references leads (unit_id, id) on delete cascade
);
create unique index events_seq on events (seq);
create index events_unscored on events (seq) where scored_at is null;
create index events_unit_seq on events (unit_id, seq desc);
create index events_unit_lead_time on events (unit_id, lead_id, occurred_at desc);
create index events_unit_type_time on events (unit_id, event_type, occurred_at desc);

create table event_type_settings (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  event_type text not null,
  hidden boolean not null default false,
  max_processing_scope text not null default 'activate' check (max_processing_scope in ('observe', 'decide', 'activate')),
  canonical_type text,
  updated_at timestamptz not null default now(),
  primary key (unit_id, event_type)
);
