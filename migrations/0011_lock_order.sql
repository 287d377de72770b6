-- Takes a lead-level operation's advisory locks in the global lock order (docs/concurrency.md):
-- the OU's lock in shared mode, then each distinct lead lock key in ascending order. A loop makes
-- the order explicit; a single select calling the lock function per row would not promise the
-- order in which it calls it. Classes and keys come from the caller (src/db/locks.ts), the one
-- place that defines them.
create function lv_lock_leads(unit_class integer, unit_key integer, lead_class integer, lead_keys integer[])
returns void
language plpgsql
as $$
declare
  lead_key integer;
begin
  perform pg_advisory_xact_lock_shared(unit_class, unit_key);
  for lead_key in select distinct k from unnest(lead_keys) as k order by k loop
    perform pg_advisory_xact_lock(lead_class, lead_key);
  end loop;
end
$$;
