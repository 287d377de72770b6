-- Campaign analytics (seed 001, issue 13): the three UTM keys of an event's metadata as stored
-- columns, so GET /analytics/campaigns groups by a plain column instead of parsing every event's
-- jsonb. Only JSON strings count (a number or object under utm_campaign is not a campaign name),
-- and the empty string is no campaign. Generated columns follow metadata on every write (ingestion,
-- COPY import, the scoring worker's metadata patch, lead merges): no writer names them.
alter table events
  add column utm_campaign text generated always as (
    case when jsonb_typeof(metadata -> 'utm_campaign') = 'string' then nullif(metadata ->> 'utm_campaign', '') end) stored,
  add column utm_source text generated always as (
    case when jsonb_typeof(metadata -> 'utm_source') = 'string' then nullif(metadata ->> 'utm_source', '') end) stored,
  add column utm_medium text generated always as (
    case when jsonb_typeof(metadata -> 'utm_medium') = 'string' then nullif(metadata ->> 'utm_medium', '') end) stored;

-- One partial index per key, only over events that carry it (an event without UTMs costs no index
-- write). The aggregate scans the OU's tagged events in the date window (cost follows the window,
-- not the table); the drilldown's `utm_x = $name` is a qual on the third key column, checked in the
-- index before the heap is read.
create index events_unit_time_utm_campaign on events (unit_id, occurred_at, utm_campaign) where utm_campaign is not null;
create index events_unit_time_utm_source on events (unit_id, occurred_at, utm_source) where utm_source is not null;
create index events_unit_time_utm_medium on events (unit_id, occurred_at, utm_medium) where utm_medium is not null;
