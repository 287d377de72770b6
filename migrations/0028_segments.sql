-- Segments (semantics §6): named sets of leads defined by rules, evaluated in SQL on every read.
create table segments (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null,
  description text,
  active boolean not null default true,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id)
);
-- A name is unique in its OU, whatever its case (409 on a duplicate).
create unique index segments_unit_lower_name on segments (org_id, unit_id, lower(name));

create table segment_rules (
  org_id uuid not null,
  unit_id uuid not null,
  id uuid not null default gen_random_uuid(),
  segment_id uuid not null,
  rule_name text,
  rule_type text not null check (rule_type in ('lead_metadata', 'event_metadata')),
  field_name text not null,
  operator text not null,
  value text,
  event_type text,
  logic_group integer not null default 0,
  logic_op text not null default 'AND' check (logic_op in ('AND', 'OR')),
  order_index integer not null default 0,
  active boolean not null default true,
  created_by uuid,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, segment_id) references segments (org_id, id) on delete cascade
);
create index segment_rules_segment on segment_rules (org_id, segment_id, logic_group, order_index);
