-- The scoring queue (issue 15, issue 11 item 3): one row per event waiting to be scored, deleted in
-- the scoring transaction that commits the event's scores (docs/scoring.md). Before, the queue was
-- `events.scored_at is null` with a partial index; marking an event scored was then an update of
-- `events` that could never be HOT (scored_at is in that index's predicate), and finding the next
-- events of one OU needed an index the planner had to pick from statistics that go stale.
--   lane      0 live traffic, 1 bulk import: a pass serves lane 0 first (imports yield);
--   attempts  failed scoring attempts of this event (each in its own savepoint); at
--             MAX_EVENT_FAILURES it is set aside;
--   retry_at  not claimed before this time after a failure (the lead's later events wait).
-- events.scored_at stays what readers see: set in the same transaction as the queue row's delete.
create table scoring_queue (
  org_id uuid not null,
  event_id uuid not null,
  unit_id uuid not null,
  lead_id text not null,
  seq bigint not null,
  lane smallint not null default 0 check (lane in (0, 1)),
  attempts smallint not null default 0,
  retry_at timestamptz,
  primary key (org_id, event_id),
  foreign key (org_id, event_id) references events (org_id, id) on delete cascade
);
-- The fair claim: which OUs have a backlog (a skip scan over its first two columns), then each
-- OU's next events, live lane first, in ingestion order: one index probe per OU.
create index scoring_queue_unit on scoring_queue (org_id, unit_id, lane, seq);
-- A held lead's backlog in ingestion order (scoring order), whatever its lanes.
create index scoring_queue_lead on scoring_queue (org_id, unit_id, lead_id, seq);

insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq)
select org_id, id, unit_id, lead_id, seq from events where scored_at is null;

-- The queue replaces it; events.scored_at is no longer indexed.
drop index if exists events_unscored;

-- Events the worker set aside after MAX_EVENT_FAILURES failed attempts (a poison event): they end
-- unscored (events.scored_at set, metadata.scoring_error the code) and are listed for the OU's
-- admins (GET /admin/scoring/set-aside). Rescoring the lead queues them again and drops the row.
create table scoring_set_aside (
  org_id uuid not null,
  event_id uuid not null,
  unit_id uuid not null,
  lead_id text not null,
  -- A code (`scoring_failed`, `scoring_failed:<SQLSTATE>`), never the error's text.
  error text not null,
  attempts smallint not null,
  set_aside_at timestamptz not null default now(),
  primary key (org_id, event_id),
  foreign key (org_id, event_id) references events (org_id, id) on delete cascade
);
create index scoring_set_aside_unit on scoring_set_aside (org_id, unit_id, set_aside_at desc, event_id);
