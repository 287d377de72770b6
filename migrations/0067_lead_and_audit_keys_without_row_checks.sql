-- Issue 11, the next per-row checks on the hot path (bench/README.md, "Issue 11: … keys"):
-- - lead_scores -> leads and lead_scoring_state -> leads: checked for every row the scoring worker
--   writes, each check share-locking the lead's row (a WAL record on leads per event, and a
--   multixact when ingestion key-share-locks the same lead at once). The worker writes these rows
--   only for leads whose advisory lock it holds, and every path that deletes a lead takes that lock
--   first (docs/concurrency.md), so the check proved nothing the lock does not.
-- - audit_logs -> organizations and -> org_units: three quarters of each buffered audit insert. The
--   insert now keeps only rows of organizations that still exist and files a row whose OU was
--   deleted meanwhile at organization level (with the key, the whole batch failed instead).
-- What the keys did on delete is kept by statement-level triggers: a lead's scores and state go
-- with it, an organization's audit rows go with it, an OU's audit rows stay as organization-level.
alter table lead_scores drop constraint lead_scores_lead_fkey;
alter table lead_scoring_state drop constraint lead_scoring_state_lead_fkey;
alter table audit_logs drop constraint audit_logs_org_id_fkey;
alter table audit_logs drop constraint audit_logs_unit_id_fkey;

create function lv_leads_deleted() returns trigger
language plpgsql as $$
begin
  delete from lead_scores s using deleted_leads d where s.org_id = d.org_id and s.unit_id = d.unit_id and s.lead_id = d.id;
  delete from lead_scoring_state s using deleted_leads d where s.org_id = d.org_id and s.unit_id = d.unit_id and s.lead_id = d.id;
  return null;
end $$;

create function lv_organizations_deleted() returns trigger
language plpgsql as $$
begin
  delete from audit_logs a using deleted_organizations d where a.org_id = d.id;
  return null;
end $$;

create function lv_org_units_deleted() returns trigger
language plpgsql as $$
begin
  update audit_logs a set unit_id = null from deleted_units d where a.org_id = d.org_id and a.unit_id = d.id;
  return null;
end $$;

create trigger leads_cascade after delete on leads
  referencing old table as deleted_leads for each statement execute function lv_leads_deleted();
create trigger organizations_cascade after delete on organizations
  referencing old table as deleted_organizations for each statement execute function lv_organizations_deleted();
create trigger org_units_cascade after delete on org_units
  referencing old table as deleted_units for each statement execute function lv_org_units_deleted();
