-- Member sessions (issue 8). Every JWT carries its member's token version and a session id.
-- Bumping the version ends every token of the member (logout everywhere, password change);
-- logging out records the one session id here until its token would have expired anyway.
alter table members add column token_version integer not null default 0;

create table revoked_sessions (
  org_id uuid not null references organizations (id) on delete cascade,
  session_id uuid not null,
  expires_at timestamptz not null,
  primary key (org_id, session_id)
);
-- Expired rows are purged by expiry; the per-request check uses the primary key.
create index revoked_sessions_expires on revoked_sessions (expires_at);
