-- Deals, their contacts and the scores recorded when a deal enters a milestone stage (semantics §8,
-- seed 000). account_id is the text the leads carry in leads.account_id: no foreign key (the
-- accounts table is another module's, and a deal may name an account before any lead does).
create table deals (
  org_id uuid not null references organizations (id) on delete cascade,
  unit_id uuid not null references org_units (id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null,
  stage text not null,
  -- The stage's milestone (semantics §8): its text lowercased without spaces, '_' and '-', mapped.
  milestone text generated always as (
    case regexp_replace(lower(stage), '[ _-]', '', 'g')
      when 'mql' then 'mql' when 'marketingqualifiedlead' then 'mql'
      when 'sql' then 'sql' when 'salesqualifiedlead' then 'sql'
      when 'opportunity' then 'opportunity' when 'qualifiedtobuy' then 'opportunity'
      when 'presentationscheduled' then 'opportunity' when 'decisionmakerboughtin' then 'opportunity'
      when 'contractsent' then 'opportunity' when 'negotiation' then 'opportunity' when 'proposal' then 'opportunity'
      when 'closedwon' then 'close'
    end) stored,
  amount numeric(16, 2) not null check (amount >= 0),
  account_id text,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id)
);
create index deals_unit_created on deals (org_id, unit_id, created_at desc, id desc);
create index deals_unit_account on deals (org_id, unit_id, account_id) where account_id is not null;
create index deals_unit_milestone on deals (org_id, unit_id, milestone) where milestone is not null;

-- Explicit contacts; a deal's contacts are these plus the leads of its account.
create table deal_contacts (
  org_id uuid not null,
  unit_id uuid not null,
  deal_id uuid not null,
  lead_id text not null,
  created_at timestamptz not null default now(),
  primary key (org_id, deal_id, lead_id),
  foreign key (org_id, deal_id) references deals (org_id, id) on delete cascade,
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade
);
create index deal_contacts_lead on deal_contacts (org_id, unit_id, lead_id);

-- A contact's primary score when the deal entered a milestone: once per (deal, contact, milestone),
-- the primary key is what makes it once (insert … on conflict do nothing).
create table deal_milestone_scores (
  org_id uuid not null,
  unit_id uuid not null,
  deal_id uuid not null,
  lead_id text not null,
  milestone text not null check (milestone in ('mql', 'sql', 'opportunity', 'close')),
  score integer not null,
  recorded_at timestamptz not null default now(),
  primary key (org_id, deal_id, lead_id, milestone),
  foreign key (org_id, deal_id) references deals (org_id, id) on delete cascade,
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade
);
