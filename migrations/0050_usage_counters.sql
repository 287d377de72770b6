-- Month-to-date usage (GET /usage) without counting big tables per request. Counts arrive as
-- append-only delta rows: one per insert statement on events or leads (statement triggers over the
-- transition table, so a 1,000-event batch adds one row, not 1,000) and one per buffered flush of
-- API-call counts. No writer updates a shared counter row, so ingestion never waits on another
-- transaction's counter and the lock order of docs/concurrency.md is untouched. A periodic
-- compaction folds each (org, unit, month, metric) group back into one row; /usage sums the rest.
create table usage_counters (
  org_id uuid not null references organizations (id) on delete cascade,
  id bigint generated always as identity,
  -- Null for API calls made without an active OU (org-level routes).
  unit_id uuid,
  -- First day of the UTC month counted in.
  month date not null,
  metric text not null check (metric in ('events', 'leads', 'api_calls', 'api_writes')),
  n bigint not null,
  primary key (org_id, id)
);
create index usage_counters_org_month on usage_counters (org_id, month, metric, unit_id) include (n);

-- Events as analytics counts them: a normalized pair once (its canonical row), no server-made DECAY rows.
create function lv_usage_count_events() returns trigger
language plpgsql as $$
begin
  insert into usage_counters (org_id, unit_id, month, metric, n)
  select org_id, unit_id, date_trunc('month', received_at at time zone 'UTC')::date, 'events', count(*)
    from usage_new_rows
   where decay_id is null and not (normalized and not normalized_parent)
   group by 1, 2, 3;
  return null;
end $$;

create function lv_usage_count_leads() returns trigger
language plpgsql as $$
begin
  insert into usage_counters (org_id, unit_id, month, metric, n)
  select org_id, unit_id, date_trunc('month', created_at at time zone 'UTC')::date, 'leads', count(*)
    from usage_new_rows
   group by 1, 2, 3;
  return null;
end $$;

create trigger events_usage after insert on events
  referencing new table as usage_new_rows for each statement execute function lv_usage_count_events();
create trigger leads_usage after insert on leads
  referencing new table as usage_new_rows for each statement execute function lv_usage_count_leads();
