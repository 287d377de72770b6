-- Issue 11: the last per-row foreign-key checks of the scoring worker's write (bench/README.md,
-- "Issue 11: session 4"): lead_scores -> organizations, lead_scores -> rulesets and
-- lead_scoring_state -> organizations, 16 % of the write statement's time in sampled plans. Each
-- proves nothing the worker does not already hold: it writes a ruleset's score only under the OU's
-- shared lock, which a ruleset delete takes exclusively (scoring.service.ts), from the OU's
-- configuration read in the same transaction; and the application never deletes an organization
-- (an operator's delete keeps the cascade below). What the keys did on delete is kept by the
-- statement-level triggers of 0062 and 0067, as for event_scores and the leads keys.
alter table lead_scores drop constraint lead_scores_org_id_fkey;
alter table lead_scores drop constraint lead_scores_ruleset_fkey;
alter table lead_scoring_state drop constraint lead_scoring_state_org_id_fkey;

create or replace function lv_rulesets_deleted() returns trigger
language plpgsql as $$
begin
  delete from event_scores s using deleted_rulesets d where s.ruleset_id = d.id and s.org_id = d.org_id;
  delete from lead_scores s using deleted_rulesets d where s.ruleset_id = d.id and s.org_id = d.org_id;
  return null;
end $$;

create or replace function lv_organizations_deleted() returns trigger
language plpgsql as $$
begin
  delete from audit_logs a using deleted_organizations d where a.org_id = d.id;
  delete from lead_scores s using deleted_organizations d where s.org_id = d.id;
  delete from lead_scoring_state s using deleted_organizations d where s.org_id = d.id;
  return null;
end $$;
