-- Read paths of the events API (GET /events, /events/export, /channels). Each index costs every
-- ingest a little, so only the two the reads cannot do without:
-- newest-first listing and keyset export over one OU (ORDER BY occurred_at DESC, seq DESC),
create index events_unit_time on events (unit_id, occurred_at desc, seq desc);
-- and the distinct channels of an OU without scanning all its events.
create index events_unit_channel on events (unit_id, channel);
