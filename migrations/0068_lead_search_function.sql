-- GET /leads/search (issue 10, bench/README.md "Lead reads"): a prepared statement of this search
-- was planned again on every call (PostgreSQL's plan cache keeps custom plans when the generic
-- plan's estimate, made without the prefix, looks costlier), ~0.25 ms of a ~0.4 ms statement.
-- Every branch here is an ordered index scan of a byte-wise prefix range cut at the limit, the
-- right plan whatever the prefix is, so the function forces its generic plan: planned once per
-- connection. p_hi and p_lower_hi are the ranges' exclusive upper bounds (prefixUpperBound in
-- src/modules/leads/leads.repository.ts); the order is the exact id, then id matches, then alias
-- matches, each in code-point order.
create function lv_lead_search(p_org uuid, p_unit uuid, p_q text, p_hi text, p_lower text, p_lower_hi text, p_limit int)
returns table (id text, created_at timestamptz, matched_by text, alias_kind text, alias_value text)
language plpgsql stable
set plan_cache_mode = force_generic_plan
as $$
begin
  return query
  select l.id, l.created_at, m.matched_by, m.alias_kind, m.alias_value
    from (select distinct on (c.lead_id) c.lead_id, c.matched_by, c.alias_kind, c.alias_value, c.rank from (
            (select x.id as lead_id, 'id'::text as matched_by, null::text as alias_kind, null::text as alias_value, 0 as rank
               from leads x where x.org_id = p_org and x.unit_id = p_unit and x.id = p_q and x.merged_into is null)
            union all
            (select x.id, 'id', null, null, 1
               from leads x
              where x.org_id = p_org and x.unit_id = p_unit and x.id ~>=~ p_q and x.id ~<~ p_hi and x.merged_into is null
              order by x.id using ~<~ limit p_limit)
            union all
            (select a.lead_id, 'alias', a.kind, a.value, 2 from (
               (select y.lead_id, y.kind, y.value from lead_aliases y
                 where y.org_id = p_org and y.unit_id = p_unit and y.value ~>=~ p_q and y.value ~<~ p_hi
                 order by y.value using ~<~ limit p_limit)
               union
               (select y.lead_id, y.kind, y.value from lead_aliases y
                 where y.org_id = p_org and y.unit_id = p_unit and y.value ~>=~ p_lower and y.value ~<~ p_lower_hi
                 order by y.value using ~<~ limit p_limit)
             ) a order by a.value using ~<~ limit p_limit)
          ) c order by c.lead_id, c.rank, c.alias_value collate "C") m
    join leads l on l.org_id = p_org and l.unit_id = p_unit and l.id = m.lead_id and l.merged_into is null
   order by m.rank, l.id collate "C"
   limit p_limit;
end $$;
