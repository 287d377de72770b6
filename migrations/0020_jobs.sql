-- Durable background jobs: lead deletes now, later backfills and deliveries (src/jobs/). A job is a
-- row; a runner claims it with FOR UPDATE SKIP LOCKED and holds it under a lease, doing its work in
-- short steps whose progress is committed. A process that stops cleanly releases its lease at once;
-- one that crashed leaves it to expire, and then any process takes the job over.
create table jobs (
  org_id uuid not null references organizations (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  unit_id uuid not null references org_units (id) on delete cascade,
  kind text not null,
  -- What the job is about (a lead id for lead_delete): with kind, how a caller finds it again.
  subject text not null,
  payload jsonb not null default '{}'::jsonb,
  status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed')),
  progress jsonb not null default '{}'::jsonb,
  attempts integer not null default 0,
  last_error text,
  run_after timestamptz not null default now(),
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  primary key (org_id, id)
);
-- At most one unfinished job per (OU, kind, subject): a repeated request finds it instead of queuing another.
create unique index jobs_open_subject on jobs (org_id, unit_id, kind, subject) where status in ('queued', 'running');
create index jobs_subject on jobs (org_id, unit_id, kind, subject, created_at desc);
-- What the runners poll: only unfinished jobs, so finished ones cost the claim nothing.
create index jobs_runnable on jobs (run_after) where status in ('queued', 'running');
