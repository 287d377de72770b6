-- Idempotent ingestion (semantics §2): a client's optional message_id on POST /events, each
-- /events/batch item and CSV row. A repeat within 7 days in the same OU stores nothing and is
-- answered with the first event's id. One row per message id, written by the same statement as
-- its event, so a message is recorded if and only if its event is.
-- No foreign keys: every concurrent ingest would share-lock the same org_units row for them (see
-- 0005), and rows of a deleted OU are harmless until the purge removes them after 7 days.
create table ingest_messages (
  org_id uuid not null,
  unit_id uuid not null,
  message_id text not null,
  -- For a normalized pair, the canonical (scored) row: the id the client was answered with.
  event_id uuid not null,
  lead_id text not null,
  created_at timestamptz not null default now(),
  primary key (org_id, unit_id, message_id)
);
-- Rows arrive in time order, so a BRIN index serves the purge of rows older than 7 days at almost
-- no cost to each insert.
create index ingest_messages_created on ingest_messages using brin (created_at);
