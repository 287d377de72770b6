-- What the scoring worker writes about an event (its scored_at, the server's metadata keys
-- score_delta / inorganic / grouped_into / scoring_error, its burst root) goes into a row of its
-- own instead of an UPDATE of `events`. That update was the largest part of the worker's write
-- (bench/README.md, issue 11): a non-HOT rewrite of the whole event row with an entry in each of
-- the table's 11 indexes (score_delta sat in the UTM indexes, and a full page leaves no room for a
-- HOT update anyway). An outcome row is ~100 bytes and one index entry, and `events` becomes
-- insert-only: no dead rows in the largest table. Readers show the event's metadata as
-- `events.metadata || event_outcomes.patch` (src/db/event-outcomes.ts), so the API
-- answers as before. `events.scored_at` stays for the events ingestion stores already handled
-- (observe scope) and the rescore's reset; the worker's scored_at is the outcome's.
create table event_outcomes (
  org_id uuid not null,
  event_id uuid not null,
  scored_at timestamptz not null default now(),
  patch jsonb not null default '{}'::jsonb,
  -- The first event of the inorganic burst the worker grouped this one into.
  burst_root uuid,
  -- The primary ruleset's points, as campaign and deal analytics sum them.
  score_delta integer generated always as (
    case when jsonb_typeof(patch -> 'score_delta') = 'number' and abs((patch ->> 'score_delta')::numeric) < 2147483647
      then round((patch ->> 'score_delta')::numeric)::integer end) stored,
  primary key (org_id, event_id)
);

-- The events the worker already scored, with the keys it wrote into their metadata (which stay
-- there too: the merge shows the same keys).
insert into event_outcomes (org_id, event_id, scored_at, patch, burst_root)
select org_id, id, scored_at,
       jsonb_strip_nulls(jsonb_build_object('score_delta', metadata -> 'score_delta', 'inorganic', metadata -> 'inorganic',
                                            'grouped_into', metadata -> 'grouped_into', 'scoring_error', metadata -> 'scoring_error')),
       burst_root
  from events
 where scored_at is not null
   and (metadata ?| array['score_delta', 'inorganic', 'grouped_into', 'scoring_error'] or burst_root is not null);

-- Dropping score_delta drops the UTM indexes that carried it: they come back with the event id,
-- so the campaign aggregate still reads events from the index alone and finds each one's points
-- by the outcome's primary key.
alter table events drop column score_delta, drop column burst_root;
create index events_unit_time_utm_campaign on events (unit_id, occurred_at, utm_campaign)
  include (org_id, id, lead_id, normalized, normalized_parent) where utm_campaign is not null;
create index events_unit_time_utm_source on events (unit_id, occurred_at, utm_source)
  include (org_id, id, lead_id, normalized, normalized_parent) where utm_source is not null;
create index events_unit_time_utm_medium on events (unit_id, occurred_at, utm_medium)
  include (org_id, id, lead_id, normalized, normalized_parent) where utm_medium is not null;

-- A deleted event's outcome goes with it, in the statement trigger of 0062.
create or replace function lv_events_deleted() returns trigger
language plpgsql as $$
begin
  delete from scoring_queue q using deleted_events d where q.org_id = d.org_id and q.event_id = d.id;
  delete from event_scores s using deleted_events d where s.org_id = d.org_id and s.event_id = d.id;
  delete from event_outcomes o using deleted_events d where o.org_id = d.org_id and o.event_id = d.id;
  return null;
end $$;
