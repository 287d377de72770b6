import { sql, type RawBuilder } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { outcomeJoin } from '../../db/event-outcomes.js';
import type { CampaignGroup } from './analytics.schemas.js';
import { windowSql, type DateWindow } from '../../http/date-window.js';

/** The stored UTM column of each grouping (migrations/0045); never built from client text. */
const UTM_COLUMN: Record<CampaignGroup, string> = { campaign: 'utm_campaign', source: 'utm_source', medium: 'utm_medium' };

/** The alias kinds a display name is taken from, in seed 001's order. */
const DISPLAY_ORDER = sql`array['email', 'phone', 'social', 'external_id', 'cookie']::text[]`;

export interface CampaignAggregateRow {
  name: string;
  total_events: number;
  unique_leads: number;
  mql_count: number;
  total_points: number;
  deals_count: number;
  pipeline_value: number;
  closed_won_value: number;
  first_event_at: Date | null;
  last_event_at: Date | null;
}

export interface CampaignLeadRow {
  lead_id: string;
  display_name: string | null;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  company: string | null;
  score: number;
  level: string | null;
  account_id: string | null;
  deal_stage: string | null;
  deal_amount: number | null;
  first_touch_at: Date;
  last_touch_at: Date;
}

/**
 * The OU's tagged events of one grouping in the window, canonical rows only (the raw row of a
 * normalized pair, normalized and not normalized_parent, is left out: seed 001), as `ev`; with
 * `points` (the outcome's score_delta) when asked: without it the events are read from the index
 * alone (the drilldown's index does not carry the event id that joins the outcome).
 */
function taggedEvents(t: Tenant, group: CampaignGroup, w: DateWindow, opts: { name?: string; points: boolean }): RawBuilder<unknown> {
  const utm = sql.ref(`e.${UTM_COLUMN[group]}`);
  return sql`
    select ${utm} as name, e.lead_id, e.occurred_at
           ${opts.points ? sql`, coalesce(o.score_delta, 0) as points` : sql``}
      from events e ${opts.points ? outcomeJoin('e') : sql``}
     where e.org_id = ${t.orgId} and e.unit_id = ${t.unitId} and ${utm} is not null
       and not (e.normalized and not e.normalized_parent)
       and ${windowSql('e.occurred_at', w)}
       ${opts.name !== undefined ? sql`and ${utm} = ${opts.name}` : sql``}`;
}

/** A lead's primary score (0 without a score row) as `score`, joined on `alias`.id. */
function primaryScoreJoin(t: Tenant, leadIdRef: string) {
  return sql`left join lead_scores s on s.org_id = ${t.orgId} and s.unit_id = ${t.unitId} and s.lead_id = ${sql.ref(leadIdRef)}
    and s.ruleset_id = (select r.id from rulesets r where r.org_id = ${t.orgId} and r.unit_id = ${t.unitId} and r.is_primary)`;
}

/** The engagement level holding `score` now (levels are read at query time, as everywhere). */
function levelOfScore(t: Tenant, score: RawBuilder<unknown>) {
  return sql`(select lv.name from levels lv where lv.org_id = ${t.orgId} and lv.unit_id = ${t.unitId} and lv.kind = 'engagement'
    and ${score} between lv.min_score and lv.max_score order by lv.min_score limit 1)`;
}

/** The score lies in an engagement level named Warm or Hot (levels never overlap, so this is "its level is"). */
function isWarmOrHot(t: Tenant, score: RawBuilder<unknown>) {
  return sql`exists (select 1 from levels lv where lv.org_id = ${t.orgId} and lv.unit_id = ${t.unitId} and lv.kind = 'engagement'
    and lower(lv.name) in ('warm', 'hot') and ${score} between lv.min_score and lv.max_score)`;
}

/** A lead metadata field as text when it is a non-empty JSON string, else the next key's. */
function metaText(...keys: string[]) {
  const parts = keys.map((k) => sql`case when jsonb_typeof(l.metadata -> ${k}) = 'string' then nullif(l.metadata ->> ${k}, '') end`);
  return sql`coalesce(${sql.join(parts)})`;
}

export function createAnalyticsRepository(db: Db) {
  return {
    /**
     * Seed 001's aggregate, one statement: events → (campaign, lead) pairs → per-campaign counts;
     * leads → MQLs; lead → account → deal → pipeline. The window's events are read once and folded
     * into pairs first: everything after works on the pairs (at 5M events a 90-day window holds
     * 1.5M tagged events; keeping them as rows for two consumers and a count(distinct) ran past the
     * statement timeout).
     */
    async campaigns(t: Tenant, group: CampaignGroup, w: DateWindow): Promise<CampaignAggregateRow[]> {
      const score = sql`coalesce(s.total_score, 0)`;
      const result = await sql<CampaignAggregateRow>`
        with campaign_leads as materialized (
          select name, lead_id, count(*) as n, sum(points) as points, min(occurred_at) as first_at, max(occurred_at) as last_at
            from (${taggedEvents(t, group, w, { points: true })}) ev group by name, lead_id),
        per_campaign as (
          select name, sum(n)::int as total_events, count(*)::int as unique_leads,
                 coalesce(sum(points), 0)::bigint as total_points, min(first_at) as first_event_at, max(last_at) as last_event_at
            from campaign_leads group by name),
        mqls as (
          select cl.name, count(*)::int as mql_count
            from campaign_leads cl ${primaryScoreJoin(t, 'cl.lead_id')}
           where ${isWarmOrHot(t, score)}
           group by cl.name),
        campaign_deals as (
          select distinct cl.name, d.id, d.amount, d.milestone
            from campaign_leads cl
            join leads l on l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.id = cl.lead_id and l.account_id is not null
            join deals d on d.org_id = ${t.orgId} and d.unit_id = ${t.unitId} and d.account_id = l.account_id),
        pipeline as (
          select name, count(*)::int as deals_count, sum(amount) as pipeline_value,
                 coalesce(sum(amount) filter (where milestone = 'close'), 0) as closed_won_value
            from campaign_deals group by name)
        select c.name, c.total_events, c.unique_leads, coalesce(m.mql_count, 0) as mql_count, c.total_points,
               coalesce(p.deals_count, 0) as deals_count, coalesce(p.pipeline_value, 0) as pipeline_value,
               coalesce(p.closed_won_value, 0) as closed_won_value, c.first_event_at, c.last_event_at
          from per_campaign c
          left join mqls m on m.name = c.name
          left join pipeline p on p.name = c.name
         order by c.total_events desc, c.name asc`.execute(db);
      return result.rows;
    },

    /** Seed 001's drilldown: the value's leads, most recent first touch first, at most `cap`. */
    async campaignLeads(t: Tenant, group: CampaignGroup, name: string, w: DateWindow, cap: number): Promise<CampaignLeadRow[]> {
      const score = sql`coalesce(s.total_score, 0)`;
      const result = await sql<CampaignLeadRow>`
        with touches as (
          select lead_id, min(occurred_at) as first_touch_at, max(occurred_at) as last_touch_at
            from (${taggedEvents(t, group, w, { name, points: false })}) ev group by lead_id
          order by first_touch_at desc, lead_id asc limit ${cap})
        select l.id as lead_id,
               (select a.value from lead_aliases a where a.org_id = l.org_id and a.unit_id = l.unit_id and a.lead_id = l.id
                 order by array_position(${DISPLAY_ORDER}, a.kind), a.created_at, a.value limit 1) as display_name,
               (select a.value from lead_aliases a where a.org_id = l.org_id and a.unit_id = l.unit_id and a.lead_id = l.id
                   and a.kind = 'email' order by a.created_at, a.value limit 1) as email,
               ${metaText('first_name', 'firstname')} as first_name, ${metaText('last_name', 'lastname')} as last_name,
               ${metaText('title', 'job_title')} as title, ${metaText('company', 'company_name')} as company,
               ${score}::int as score, ${levelOfScore(t, score)} as level, l.account_id,
               d.stage as deal_stage, d.amount as deal_amount, tc.first_touch_at, tc.last_touch_at
          from touches tc
          -- One key probe per listed lead (LIMIT 1: a lead id is unique in its OU): a plain join
          -- let the planner hash the OU's whole lead table for 500 rows.
          cross join lateral (
            select * from leads l where l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.id = tc.lead_id limit 1) l
          ${primaryScoreJoin(t, 'l.id')}
          left join lateral (
            select d.stage, d.amount from deals d
             where d.org_id = ${t.orgId} and d.unit_id = ${t.unitId} and l.account_id is not null and d.account_id = l.account_id
             order by d.created_at desc, d.id desc limit 1) d on true
         order by tc.first_touch_at desc, tc.lead_id asc`.execute(db);
      return result.rows;
    },
  };
}
