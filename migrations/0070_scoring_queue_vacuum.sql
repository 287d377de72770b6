-- The scoring queue is the hottest table by churn: every event is inserted into it and deleted
-- from it within a second. Its dead rows and index entries slow the claim until a vacuum removes
-- them (bench/README.md, issue 11), so the worker vacuums it itself (queue-vacuum.ts), and
-- autovacuum, where it runs, vacuums it on every visit that finds 1,000 dead rows rather than 20 %
-- of a table whose size swings between empty and a backlog. No truncation: the exclusive lock it
-- needs would stop every claim and ingest of the queue while it waits for it.
alter table scoring_queue set (vacuum_truncate = false, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
