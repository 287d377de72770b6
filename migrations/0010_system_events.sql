-- Server-owned columns of events (issue 8, item 1). The scoring engine used to read
-- `metadata.decrease`, `metadata.decay_id` and `metadata.grouped_into`, which a client could send
-- on any event. These columns are written only by the server: the decay scheduler sets the decay
-- pair when it creates a DECAY event, the scoring worker sets burst_root when it groups an
-- inorganic event. The ingest write statement names its columns and never these.
alter table events
  -- The decay rule a system DECAY event applies, and the points it removes (the rule's
  -- `decrease` when the pass ran). Both set, or neither: a non-null decay_id is what makes an
  -- event a system DECAY event for the engine.
  add column decay_id uuid,
  add column decay_decrease integer,
  -- The first event of the inorganic burst this event was grouped into (semantics §3,
  -- group_events); metadata.grouped_into shows the same value to readers.
  add column burst_root uuid,
  add constraint events_decay_pair check ((decay_id is null) = (decay_decrease is null)),
  add constraint events_decay_type check (decay_id is null or event_type = 'DECAY');

-- DECAY events the scheduler created before this migration are the ones linked from
-- decay_applications; anything else of type DECAY was sent by a client and stays an ordinary
-- event (no rule matches it, so it scores nothing).
-- The decrease is the one the event was created with (its metadata, server-written), else the rule's.
update events e
set decay_id = a.decay_id,
    decay_decrease = case
      when e.metadata->>'decrease' ~ '^[0-9]{1,9}$' then (e.metadata->>'decrease')::int
      else r.decrease
    end
from decay_applications a
join decay_rules r on r.id = a.decay_id
where a.event_id = e.id and e.event_type = 'DECAY';

-- Burst roots the worker wrote before: a grouped_into on an event the worker scored inorganic,
-- naming an event of the same lead. The CASE keeps the cast away from values that are no uuid.
update events e
set burst_root = root.id
from events root
where e.metadata ? 'grouped_into'
  and exists (select 1 from event_scores s where s.event_id = e.id and s.inorganic)
  and root.id = case
        when e.metadata->>'grouped_into' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
        then (e.metadata->>'grouped_into')::uuid
      end
  and root.unit_id = e.unit_id and root.lead_id = e.lead_id;
