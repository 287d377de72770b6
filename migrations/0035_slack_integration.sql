-- Slack integration (issue 12, docs/slack.md): one Slack app per organization, one workspace
-- connection per OU. Secrets are stored sealed (AES-256-GCM under SECRETS_KEY, src/auth/secret-box.ts).
create table slack_apps (
  org_id uuid not null references organizations (id) on delete cascade,
  client_id text not null,
  client_secret_sealed text not null,
  -- Bot scopes asked for at install, comma-separated as Slack's authorize URL takes them.
  scopes text not null,
  redirect_uri text,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id)
);

create table slack_connections (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  team_id text not null,
  team_name text,
  bot_user_id text,
  app_id text,
  scope text,
  bot_token_sealed text not null,
  installed_by uuid,
  default_target_kind text check (default_target_kind in ('channel', 'user')),
  default_target_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, unit_id),
  check ((default_target_kind is null) = (default_target_id is null))
);
