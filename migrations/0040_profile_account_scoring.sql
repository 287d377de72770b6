-- Profile and account scoring (semantics §5): field mappings that copy event metadata into a lead's
-- metadata (profile) or its account's metadata (account) at ingestion, and rulesets whose rules test
-- those properties with the segment operators (§6). Both kinds share one table each; `kind` says which.
create table field_mappings (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  kind text not null check (kind in ('profile', 'account')),
  source_field text not null,
  property text not null,
  update_behavior text not null default 'always_latest' check (update_behavior in ('always_latest', 'set_once', 'append')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id)
);
-- The same source field mapped twice onto the same property is a duplicate (409).
create unique index field_mappings_pair on field_mappings (org_id, unit_id, kind, source_field, property);

create table property_rulesets (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  kind text not null check (kind in ('profile', 'account')),
  name text not null,
  enabled boolean not null default true,
  is_primary boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id)
);
create unique index property_rulesets_name on property_rulesets (org_id, unit_id, kind, lower(name));
-- At most one primary ruleset per kind and OU.
create unique index property_rulesets_primary on property_rulesets (org_id, unit_id, kind) where is_primary;

create table property_rules (
  org_id uuid not null,
  unit_id uuid not null,
  id uuid not null default gen_random_uuid(),
  ruleset_id uuid not null,
  property text not null,
  condition text not null,
  comparison_value text not null,
  weight integer not null,
  ui_order integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, ruleset_id) references property_rulesets (org_id, id) on delete cascade
);
create index property_rules_ruleset on property_rules (org_id, ruleset_id, ui_order);
