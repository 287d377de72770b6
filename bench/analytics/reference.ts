/**
 * Hand-tuned SQL of the same answers as GET /analytics/campaigns and its drilldown, written the
 * way one would by hand against this schema: pre-aggregate the window's tagged events per
 * (campaign, lead) once, then join the small result to scores, levels and deals. The bench checks
 * that these answer exactly what the API answers before timing them.
 */
export const CAMPAIGNS_SQL = `
  with cl as materialized (
    select utm_campaign as name, lead_id, count(*) as n,
           sum(coalesce(score_delta, 0)) as pts,
           min(occurred_at) as f, max(occurred_at) as l
      from events
     where org_id = $1 and unit_id = $2 and utm_campaign is not null and occurred_at >= $3
       and not (normalized and not normalized_parent)
     group by 1, 2),
  lv as materialized (
    select cl.name, cl.lead_id, l.account_id,
           exists (select 1 from levels v where v.org_id = $1 and v.unit_id = $2 and v.kind = 'engagement'
                    and lower(v.name) in ('warm', 'hot') and coalesce(s.total_score, 0) between v.min_score and v.max_score) as mql
      from cl
      join leads l on l.org_id = $1 and l.unit_id = $2 and l.id = cl.lead_id
      left join lead_scores s on s.org_id = $1 and s.unit_id = $2 and s.lead_id = cl.lead_id
       and s.ruleset_id = (select id from rulesets where org_id = $1 and unit_id = $2 and is_primary)),
  dl as (
    select distinct lv.name, d.id, d.amount, d.milestone
      from (select distinct name, account_id from lv where account_id is not null) lv
      join deals d on d.org_id = $1 and d.unit_id = $2 and d.account_id = lv.account_id)
  select c.name, c.total_events, c.unique_leads, c.mql_count, c.total_points,
         coalesce(p.deals_count, 0) as deals_count, coalesce(p.pipeline_value, 0) as pipeline_value,
         coalesce(p.closed_won_value, 0) as closed_won_value, c.first_event_at, c.last_event_at
    from (select cl.name, sum(cl.n)::int as total_events, count(*)::int as unique_leads,
                 count(*) filter (where lv.mql)::int as mql_count,
                 sum(cl.pts)::bigint as total_points, min(cl.f) as first_event_at, max(cl.l) as last_event_at
            from cl join lv on lv.name = cl.name and lv.lead_id = cl.lead_id group by cl.name) c
    left join (select name, count(*)::int as deals_count, sum(amount) as pipeline_value,
                      coalesce(sum(amount) filter (where milestone = 'close'), 0) as closed_won_value
                 from dl group by name) p on p.name = c.name
   order by c.total_events desc, c.name collate "C"`;

/** The drilldown's leads (ids and touch times; the per-lead fields are point lookups of the same rows). */
export const CAMPAIGN_LEADS_SQL = `
  select lead_id, min(occurred_at) as first_touch_at, max(occurred_at) as last_touch_at
    from events
   where org_id = $1 and unit_id = $2 and utm_campaign = $3 and occurred_at >= $4
     and not (normalized and not normalized_parent)
   group by lead_id
   order by first_touch_at desc, lead_id
   limit 500`;
