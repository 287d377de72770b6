-- The delivery outbox (docs/deliveries.md): a firing in activate scope writes one row per action
-- (webhook, email, slack) in the scoring transaction; the sender claims due rows with
-- FOR UPDATE SKIP LOCKED under a lease and records every attempt.
create table deliveries (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  firing_id uuid not null,
  trigger_id uuid not null,
  lead_id text not null,
  kind text not null check (kind in ('webhook', 'email', 'slack')),
  -- webhook {url}; email {to, subject, preheader, message}; slack {target_kind, target_id}
  target jsonb not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'sending', 'succeeded', 'failed', 'skipped')),
  -- Attempts of the current cycle (a replay starts a new one) and of the delivery's whole life.
  attempts integer not null default 0,
  total_attempts integer not null default 0,
  -- pending: when the next attempt is due; sending: when the claim's lease expires.
  due_at timestamptz not null default now(),
  lease_token uuid,
  last_error text,
  last_http_status integer,
  -- When the event that caused the firing was ingested (event_to_slack_latency_seconds).
  event_received_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (org_id, id),
  foreign key (org_id, firing_id) references trigger_firings (org_id, id) on delete cascade
);
-- What the sender claims: only open rows, per OU in due order (the fair claim walks OUs).
create index deliveries_due on deliveries (org_id, unit_id, due_at) where status in ('pending', 'sending');
create index deliveries_unit_created on deliveries (org_id, unit_id, created_at desc, id desc);

create table delivery_attempts (
  org_id uuid not null references organizations (id) on delete cascade,
  delivery_id uuid not null,
  attempt_no integer not null,
  unit_id uuid not null,
  status text not null check (status in ('succeeded', 'failed', 'skipped')),
  http_status integer,
  latency_ms integer not null,
  error text,
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  primary key (org_id, delivery_id, attempt_no),
  foreign key (org_id, delivery_id) references deliveries (org_id, id) on delete cascade
);
