-- Campaign analytics (seed 001, issue 13): the three UTM keys of an event's metadata, and the
-- points the scoring worker writes into metadata.score_delta, as stored columns, so
-- GET /analytics/campaigns groups and sums plain columns instead of parsing every event's jsonb,
-- and can answer from an index alone. Only JSON strings count as UTM values (a number or object
-- under utm_campaign is not a campaign name) and the empty string is none. Generated columns
-- follow metadata on every write (ingestion, the COPY import, the worker's metadata patch, lead
-- merges): no writer names them.
alter table events
  add column utm_campaign text generated always as (
    case when jsonb_typeof(metadata -> 'utm_campaign') = 'string' then nullif(metadata ->> 'utm_campaign', '') end) stored,
  add column utm_source text generated always as (
    case when jsonb_typeof(metadata -> 'utm_source') = 'string' then nullif(metadata ->> 'utm_source', '') end) stored,
  add column utm_medium text generated always as (
    case when jsonb_typeof(metadata -> 'utm_medium') = 'string' then nullif(metadata ->> 'utm_medium', '') end) stored,
  -- Only the server writes score_delta (ingestion drops the key from client metadata); the range
  -- guard keeps any older odd value from failing a write instead of reading as no points.
  add column score_delta integer generated always as (
    case when jsonb_typeof(metadata -> 'score_delta') = 'number' and abs((metadata ->> 'score_delta')::numeric) < 2147483647
      then round((metadata ->> 'score_delta')::numeric)::integer end) stored;

-- One partial covering index per key, only over events that carry it (an event without UTMs costs
-- no index write). The aggregate reads the OU's tagged events of the date window from the index
-- alone (cost follows the window, not the table); the drilldown's `utm_x = $name` is an index
-- condition on the third key column.
create index events_unit_time_utm_campaign on events (unit_id, occurred_at, utm_campaign)
  include (org_id, lead_id, normalized, normalized_parent, score_delta) where utm_campaign is not null;
create index events_unit_time_utm_source on events (unit_id, occurred_at, utm_source)
  include (org_id, lead_id, normalized, normalized_parent, score_delta) where utm_source is not null;
create index events_unit_time_utm_medium on events (unit_id, occurred_at, utm_medium)
  include (org_id, lead_id, normalized, normalized_parent, score_delta) where utm_medium is not null;
