-- Score history was a second copy of event_scores: the worker wrote one history row for every
-- (event, ruleset) score row, with the same lead, ruleset, event, delta, resulting score and
-- time. It is now a view over event_scores, so a scoring pass writes one row per (event, ruleset)
-- instead of two, with two indexes and two foreign-key checks less. `seq` keeps the order in
-- which rows were scored, the tie-breaker for events of the same time.
alter table event_scores add column seq bigint generated always as identity;
drop table score_history;
create view score_history as
select seq as id, org_id, unit_id, lead_id, ruleset_id, event_id, score_after as score, delta, occurred_at,
       scored_at as created_at
from event_scores;
