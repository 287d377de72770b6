-- Orders (semantics §8): transactional records of a lead, shown in its activity stream as
-- synthetic `type: "order"` items; never scored, never copied into events.
create table orders (
  org_id uuid not null,
  unit_id uuid not null,
  id uuid not null default gen_random_uuid(),
  lead_id text not null,
  -- The client's own order number, unique in the OU when given (409 on a repeat).
  order_id text,
  amount numeric(16, 2) not null,
  currency text not null,
  occurred_at timestamptz not null,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  primary key (org_id, id),
  foreign key (org_id, unit_id, lead_id) references leads (org_id, unit_id, id) on delete cascade
);
create unique index orders_unit_order_id on orders (org_id, unit_id, order_id) where order_id is not null;
create index orders_unit_lead_time on orders (org_id, unit_id, lead_id, occurred_at desc);
