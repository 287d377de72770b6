-- Shard-ready keys (docs/scale-out.md). The tenant tables that grow with use are to be distributed
-- by org_id and co-located (Citus); a distributed table's primary key and unique constraints must
-- contain the distribution column, and a foreign key between two distributed tables must join on it
-- on both sides. Every such key gets org_id here, as its first column: a lookup by key then says
-- which organization it is for, which is what lets a cluster route it to one node. The small global
-- tables (organizations, org_units, members, ou_memberships, api_credentials) are to be reference
-- tables and keep their keys; a distributed table may reference them as it does now.
-- Behaviour is unchanged: ids were already unique within their OU, hence within their organization,
-- and every ON DELETE CASCADE stays.

-- 1. Foreign keys between tenant tables go first: they depend on the keys rebuilt below.
alter table lead_aliases drop constraint lead_aliases_unit_id_lead_id_fkey;
alter table events drop constraint events_unit_id_lead_id_fkey;
alter table scoring_rules drop constraint scoring_rules_ruleset_id_fkey;
alter table lead_scores drop constraint lead_scores_unit_id_lead_id_fkey,
                        drop constraint lead_scores_ruleset_id_fkey;
alter table lead_scoring_state drop constraint lead_scoring_state_unit_id_lead_id_fkey;
alter table event_scores drop constraint event_scores_event_id_fkey,
                         drop constraint event_scores_ruleset_id_fkey;
alter table decay_applications drop constraint decay_applications_decay_id_fkey,
                               drop constraint decay_applications_unit_id_lead_id_fkey;

-- 2. Primary keys, org_id first.
alter table leads drop constraint leads_pkey, add constraint leads_pkey primary key (org_id, unit_id, id);
alter table lead_aliases drop constraint lead_aliases_pkey,
  add constraint lead_aliases_pkey primary key (org_id, unit_id, kind, value);
alter table events drop constraint events_pkey, add constraint events_pkey primary key (org_id, id);
alter table event_type_settings drop constraint event_type_settings_pkey,
  add constraint event_type_settings_pkey primary key (org_id, unit_id, event_type);
alter table rulesets drop constraint rulesets_pkey, add constraint rulesets_pkey primary key (org_id, id);
alter table scoring_rules drop constraint scoring_rules_pkey, add constraint scoring_rules_pkey primary key (org_id, id);
alter table levels drop constraint levels_pkey, add constraint levels_pkey primary key (org_id, id);
alter table decay_rules drop constraint decay_rules_pkey, add constraint decay_rules_pkey primary key (org_id, id);
alter table inorganic_filters drop constraint inorganic_filters_pkey,
  add constraint inorganic_filters_pkey primary key (org_id, id);
alter table surge_policies drop constraint surge_policies_pkey, add constraint surge_policies_pkey primary key (org_id, unit_id);
alter table lead_scores drop constraint lead_scores_pkey,
  add constraint lead_scores_pkey primary key (org_id, unit_id, lead_id, ruleset_id);
alter table lead_scoring_state drop constraint lead_scoring_state_pkey,
  add constraint lead_scoring_state_pkey primary key (org_id, unit_id, lead_id);
alter table event_scores drop constraint event_scores_pkey,
  add constraint event_scores_pkey primary key (org_id, event_id, ruleset_id);
alter table decay_applications drop constraint decay_applications_pkey,
  add constraint decay_applications_pkey primary key (org_id, decay_id, unit_id, lead_id, anchor_at);
alter table audit_logs drop constraint audit_logs_pkey, add constraint audit_logs_pkey primary key (org_id, id);

-- 3. Unique indexes, same names (the services map a violation of rulesets_unit_lower_name to 409).
drop index rulesets_unit_lower_name;
create unique index rulesets_unit_lower_name on rulesets (org_id, unit_id, lower(name));
drop index rulesets_unit_primary;
create unique index rulesets_unit_primary on rulesets (org_id, unit_id) where is_primary;

-- 4. The foreign keys again, org_id on both sides, with their cascades.
alter table lead_aliases add constraint lead_aliases_lead_fkey
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade;
alter table events add constraint events_lead_fkey
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade;
alter table scoring_rules add constraint scoring_rules_ruleset_fkey
  foreign key (org_id, ruleset_id) references rulesets (org_id, id) on delete cascade;
alter table lead_scores add constraint lead_scores_lead_fkey
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade;
alter table lead_scores add constraint lead_scores_ruleset_fkey
  foreign key (org_id, ruleset_id) references rulesets (org_id, id) on delete cascade;
alter table lead_scoring_state add constraint lead_scoring_state_lead_fkey
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade;
alter table event_scores add constraint event_scores_event_fkey
  foreign key (org_id, event_id) references events (org_id, id) on delete cascade;
alter table event_scores add constraint event_scores_ruleset_fkey
  foreign key (org_id, ruleset_id) references rulesets (org_id, id) on delete cascade;
alter table decay_applications add constraint decay_applications_decay_fkey
  foreign key (org_id, decay_id) references decay_rules (org_id, id) on delete cascade;
alter table decay_applications add constraint decay_applications_lead_fkey
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade;

-- 5. leads_pkey now leads with org_id, so the separate (org_id) index is one index too many on
-- every lead ingestion creates.
drop index leads_org;
