-- Session attribution (POST /api/v1/insights, /api/v1/contacts; semantics §9) builds sessions
-- from a lead's canonical web events in (occurred_at, seq) order. Two partial indexes over
-- exactly those events (the predicate the queries state: channel web, the raw row of a
-- normalized pair left out):
-- * the journey order: sessions are numbered from a scan that is already in window-function
--   order (no sort) — before, every journey event was hashed against the candidates and sorted
--   with eight metadata fields (bench/analytics: 950,000 rows at 1M events);
create index events_web_journey on events (unit_id, lead_id, occurred_at, seq) include (org_id)
  where channel = 'web' and not (normalized and not normalized_parent);
-- * the window's leads (the cohort candidates), read from the window's index range alone.
create index events_web_time on events (unit_id, occurred_at) include (org_id, lead_id)
  where channel = 'web' and not (normalized and not normalized_parent);
-- Conversions have no index of their own: which types convert is a per-OU setting
-- (migrations/0066), so no fixed predicate could serve every OU; the journey scan reads each
-- event's type anyway.
