/**
 * Hand-tuned SQL of the same answers as GET /analytics/campaigns and its drilldown, written the
 * way one would by hand against this schema: pre-aggregate the window's tagged events per
 * (campaign, lead) once, then join the small result to scores, levels and deals. The bench checks
 * that these answer exactly what the API answers before timing them.
 */
export const CAMPAIGNS_SQL = `
  with cl as materialized (
    select e.utm_campaign as name, e.lead_id, count(*) as n,
           sum(coalesce(o.score_delta, 0)) as pts,
           min(e.occurred_at) as f, max(e.occurred_at) as l
      from events e left join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id
     where e.org_id = $1 and e.unit_id = $2 and e.utm_campaign is not null and e.occurred_at >= $3
       and not (e.normalized and not e.normalized_parent)
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

/**
 * The drilldown's whole answer, as the API gives it: the campaign's 500 most recent first touches
 * (one campaign's index range, migrations/0059), then per lead its key lookups: display alias,
 * email, metadata names, primary score and its level, account, latest account deal.
 */
export const CAMPAIGN_LEADS_FULL_SQL = `
  with t as (
    select lead_id, min(occurred_at) as first_touch_at, max(occurred_at) as last_touch_at
      from events
     where org_id = $1 and unit_id = $2 and utm_campaign = $3 and occurred_at >= $4
       and not (normalized and not normalized_parent)
     group by lead_id order by first_touch_at desc, lead_id limit 500)
  select t.lead_id,
         (select a.value from lead_aliases a where a.org_id = $1 and a.unit_id = $2 and a.lead_id = t.lead_id
           order by array_position(array['email', 'phone', 'social', 'external_id', 'cookie'], a.kind), a.created_at, a.value limit 1) as display_name,
         (select a.value from lead_aliases a where a.org_id = $1 and a.unit_id = $2 and a.lead_id = t.lead_id and a.kind = 'email'
           order by a.created_at, a.value limit 1) as email,
         coalesce(case when jsonb_typeof(l.metadata -> 'first_name') = 'string' then nullif(l.metadata ->> 'first_name', '') end,
                  case when jsonb_typeof(l.metadata -> 'firstname') = 'string' then nullif(l.metadata ->> 'firstname', '') end) as first_name,
         coalesce(case when jsonb_typeof(l.metadata -> 'last_name') = 'string' then nullif(l.metadata ->> 'last_name', '') end,
                  case when jsonb_typeof(l.metadata -> 'lastname') = 'string' then nullif(l.metadata ->> 'lastname', '') end) as last_name,
         coalesce(case when jsonb_typeof(l.metadata -> 'title') = 'string' then nullif(l.metadata ->> 'title', '') end,
                  case when jsonb_typeof(l.metadata -> 'job_title') = 'string' then nullif(l.metadata ->> 'job_title', '') end) as title,
         coalesce(case when jsonb_typeof(l.metadata -> 'company') = 'string' then nullif(l.metadata ->> 'company', '') end,
                  case when jsonb_typeof(l.metadata -> 'company_name') = 'string' then nullif(l.metadata ->> 'company_name', '') end) as company,
         coalesce(s.total_score, 0)::int as score,
         (select v.name from levels v where v.org_id = $1 and v.unit_id = $2 and v.kind = 'engagement'
             and coalesce(s.total_score, 0) between v.min_score and v.max_score order by v.min_score limit 1) as level,
         l.account_id, d.stage as deal_stage, d.amount as deal_amount, t.first_touch_at, t.last_touch_at
    from t
    cross join lateral (select * from leads l where l.org_id = $1 and l.unit_id = $2 and l.id = t.lead_id limit 1) l
    left join lead_scores s on s.org_id = $1 and s.unit_id = $2 and s.lead_id = t.lead_id
     and s.ruleset_id = (select id from rulesets where org_id = $1 and unit_id = $2 and is_primary)
    left join lateral (select d.stage, d.amount from deals d where d.org_id = $1 and d.unit_id = $2 and d.account_id = l.account_id
                        order by d.created_at desc, d.id desc limit 1) d on true
   order by t.first_touch_at desc, t.lead_id`;

/**
 * GET /deals/attribution-insights (seed 000) by hand: the closed-won deals' contacts, their events
 * pre-aggregated once per (lead, type) (each event counted once however many deals share the
 * lead), then deal counts from that small table. Answers one row: closed_won_deals, the four
 * averages (milestone → value) and the top 10 types.
 */
export const ATTRIBUTION_SQL = `
  with won as (select id, account_id from deals where org_id = $1 and unit_id = $2 and milestone = 'close'),
  contacts as (
    select c.deal_id, c.lead_id from deal_contacts c join won w on w.id = c.deal_id where c.org_id = $1
    union
    select w.id, l.id from won w join leads l on l.org_id = $1 and l.unit_id = $2 and l.account_id = w.account_id and l.merged_into is null),
  lt as materialized (
    select distinct e.lead_id, e.event_type
      from events e
     where e.org_id = $1 and e.unit_id = $2 and e.lead_id in (select lead_id from contacts)
       and not (e.normalized and not e.normalized_parent) and e.decay_id is null),
  pts as (
    select s.event_type, sum(s.delta)::bigint as total_points
      from event_scores s
     where s.org_id = $1 and s.unit_id = $2 and s.lead_id in (select lead_id from contacts) and s.decay_id is null
       and s.ruleset_id = (select id from rulesets where org_id = $1 and unit_id = $2 and is_primary)
     group by s.event_type),
  types as (
    select lt.event_type, coalesce(max(p.total_points), 0)::bigint as total_points,
           (select count(distinct c.deal_id) from contacts c join lt l2 on l2.lead_id = c.lead_id and l2.event_type = lt.event_type)::int as deal_count
      from lt left join pts p on p.event_type = lt.event_type group by lt.event_type)
  select (select count(*)::int from won) as closed_won_deals,
         (select json_object_agg(milestone, a) from (
            select ms.milestone, round(avg(ms.score)::numeric, 1) as a from deal_milestone_scores ms join won w on w.id = ms.deal_id
             where ms.org_id = $1 and ms.unit_id = $2 group by ms.milestone) m) as averages,
         (select json_agg(json_build_object('event_type', event_type, 'deal_count', deal_count, 'total_points', total_points)
                          order by total_points desc, deal_count desc, event_type collate "C")
            from (select * from types order by total_points desc, deal_count desc, event_type collate "C" limit 10) x) as top_event_types`;
