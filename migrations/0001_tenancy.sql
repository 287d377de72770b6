-- Organizations, their units (OUs), members, OU roles, API credentials and the audit log.
-- Every tenant table carries org_id so the schema can later be sharded by organization.

create table organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null,
  allow_negative_scores boolean not null default false,
  abm_enabled boolean not null default false,
  webhook_secret text not null,
  created_at timestamptz not null default now()
);

create table org_units (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  name text not null,
  slug text not null,
  session_timeout_minutes integer not null default 30 check (session_timeout_minutes between 1 and 1440),
  created_at timestamptz not null default now(),
  unique (org_id, slug)
);
create unique index org_units_org_lower_name on org_units (org_id, lower(name));

create table members (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  email text not null,
  first_name text not null,
  last_name text not null,
  password_hash text not null,
  role text not null check (role in ('admin', 'member')),
  verified boolean not null default false,
  created_at timestamptz not null default now()
);
-- Login is by email alone, so an email names one member across all organizations.
create unique index members_email on members (lower(email));
create index members_org on members (org_id);

create table ou_memberships (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  member_id uuid not null references members (id) on delete cascade,
  role text not null check (role in ('Owner', 'Operator', 'Viewer')),
  created_at timestamptz not null default now(),
  primary key (unit_id, member_id)
);
create index ou_memberships_member on ou_memberships (member_id);

create table api_credentials (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  name text not null,
  client_id text not null unique,
  secret_hash text not null,
  created_by uuid references members (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index api_credentials_unit on api_credentials (unit_id);

create table audit_logs (
  id bigint generated always as identity primary key,
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid references org_units (id) on delete set null,
  member_id uuid,
  user_email text,
  method text not null,
  path text not null,
  status integer not null,
  latency_ms integer not null,
  ip text,
  request_id text,
  created_at timestamptz not null default now()
);
create index audit_logs_unit_created on audit_logs (org_id, unit_id, created_at desc);
