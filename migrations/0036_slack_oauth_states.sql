-- Pending Slack installs (docs/slack.md): a single-use OAuth state, bound to the OU and the member
-- who started it, kept as a SHA-256 hash. The state text starts with the org id, so the
-- unauthenticated callback finds its row by primary key. Using a state deletes it.
create table slack_oauth_states (
  org_id uuid not null references organizations (id) on delete cascade,
  state_hash text not null,
  unit_id uuid not null references org_units (id) on delete cascade,
  member_id uuid not null references members (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (org_id, state_hash)
);
-- Expired states are purged per organization whenever one of its members starts an install.
create index slack_oauth_states_expiry on slack_oauth_states (org_id, expires_at);
