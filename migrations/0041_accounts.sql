-- Accounts (ABM, semantics §5). A lead links to one by leads.account_id (text: the account's id within
-- its OU), so the id is text too and the join needs no cast. The domain (lowercase, no "www.") is how
-- the backfill finds an account; one account per domain and OU.
create table accounts (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id text not null default gen_random_uuid()::text,
  domain text,
  name text,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, unit_id, id)
);
create unique index accounts_domain on accounts (org_id, unit_id, domain) where domain is not null;
create index accounts_created on accounts (org_id, unit_id, created_at desc);
-- The leads of an account (list aggregates, detail, unlink on delete).
create index leads_account on leads (org_id, unit_id, account_id) where account_id is not null;
