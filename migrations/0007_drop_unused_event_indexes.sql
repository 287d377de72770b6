-- No query reads events by seq alone or by (unit_id, seq): listing uses events_unit_time, the
-- worker claims through events_unscored and reads a lead's backlog through events_unit_lead_time.
-- seq is an identity column, so it stays unique without its own index. Every index dropped here
-- is one less insert per ingested event and per scored event (the worker's scored_at update is
-- not HOT, so it touches every index of events).
drop index if exists events_seq;
drop index if exists events_unit_seq;
