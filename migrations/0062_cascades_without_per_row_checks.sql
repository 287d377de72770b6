-- Issue 11: three foreign-key checks ran once per event on the hot path (bench/README.md, "Per-event
-- breakdown"): scoring_queue -> events at ingestion, event_scores -> events and event_scores ->
-- rulesets in the scoring worker's write. Each is a per-row SPI probe that also share-locks the
-- referenced row (a WAL record on events per event). Both writers only reference rows they just
-- wrote or read in the same transaction (the event inserted with its queue row; the claimed event
-- and the ruleset of the OU's configuration), so the checks prove nothing the code does not already
-- hold. What the keys gave beyond the check is their ON DELETE CASCADE: statement-level triggers
-- keep it, set-based, for every path that deletes events or rulesets (lead deletes and their
-- cascades, event deletes, wipes, OU and organization deletes), at no cost to inserts.
alter table event_scores drop constraint event_scores_event_fkey;
alter table event_scores drop constraint event_scores_ruleset_fkey;
alter table scoring_queue drop constraint scoring_queue_org_id_event_id_fkey;

-- The queue row first: a scoring pass holding it (FOR UPDATE) makes this wait until the pass
-- commits, and the next statement's snapshot then sees the scores that pass wrote.
create function lv_events_deleted() returns trigger
language plpgsql as $$
begin
  delete from scoring_queue q using deleted_events d where q.org_id = d.org_id and q.event_id = d.id;
  delete from event_scores s using deleted_events d where s.org_id = d.org_id and s.event_id = d.id;
  return null;
end $$;

create function lv_rulesets_deleted() returns trigger
language plpgsql as $$
begin
  delete from event_scores s using deleted_rulesets d where s.ruleset_id = d.id and s.org_id = d.org_id;
  return null;
end $$;

create trigger events_cascade after delete on events
  referencing old table as deleted_events for each statement execute function lv_events_deleted();
create trigger rulesets_cascade after delete on rulesets
  referencing old table as deleted_rulesets for each statement execute function lv_rulesets_deleted();
