-- A lead's firings in one index range (issue 12, docs/triggers.md "Performance"): trigger evaluation
-- reads the latest firing of each trigger per candidate lead from here, one range scan per lead
-- instead of one probe of trigger_firings_once per (trigger, lead) pair; and deleting a lead, whose
-- foreign key cascades to its firings, finds them by index instead of scanning the table.
create index trigger_firings_lead on trigger_firings (org_id, unit_id, lead_id, trigger_id) include (event_seq, event_at);
