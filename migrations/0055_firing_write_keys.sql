-- The firing write of the scoring transaction (docs/triggers.md "Performance"): each firing and
-- each delivery row paid one foreign-key check per reference, about two thirds of the statement's
-- time. The org and OU references of trigger_firings and deliveries are implied by the keys kept:
-- a firing references its lead (org_id, unit_id, lead_id), whose own keys reference the org and the
-- OU, and its trigger; a delivery references its firing. Deleting an org, an OU, a lead, a trigger
-- or a firing still cascades through those keys, so these two checks per row only cost time.
alter table trigger_firings drop constraint trigger_firings_org_id_fkey;
alter table trigger_firings drop constraint trigger_firings_unit_id_fkey;
alter table deliveries drop constraint deliveries_org_id_fkey;
alter table deliveries drop constraint deliveries_unit_id_fkey;
