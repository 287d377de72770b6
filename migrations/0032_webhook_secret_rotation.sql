-- The organization's webhook signing secret (organizations.webhook_secret, made at signup) can be
-- rotated by org admins (POST /settings/webhook-secret/rotate): when it last was.
alter table organizations add column webhook_secret_rotated_at timestamptz not null default now();
