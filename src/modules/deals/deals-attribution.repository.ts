import { sql } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';

export interface AttributionRow {
  closed_won_deals: number;
  avg_score_at_mql: number | null;
  avg_score_at_sql: number | null;
  avg_score_at_opportunity: number | null;
  avg_score_at_close: number | null;
  top_event_types: Array<{ event_type: string; deal_count: number; total_points: number }>;
}

/** Seed 000 lists at most 10 event types. */
const TOP_TYPES = 10;

/**
 * Seed 000 in one statement. Averages run over the recorded (deal, contact) rows of closed-won
 * deals, rounded to one decimal, null without any. Event types: the events of the closed-won
 * deals' contacts (explicit + account leads), canonical rows only and no system DECAY events;
 * total_points sums each event once (a contact in two deals does not count twice), deal_count
 * counts the deals whose contacts had the type.
 */
export async function attributionInsights(db: Db, t: Tenant): Promise<AttributionRow> {
  const avg = (m: string) => sql`(select round(avg(ms.score)::numeric, 1) from deal_milestone_scores ms join won w on w.id = ms.deal_id
    where ms.org_id = ${t.orgId} and ms.unit_id = ${t.unitId} and ms.milestone = ${m})`;
  const result = await sql<AttributionRow>`
    with won as (select id, account_id from deals where org_id = ${t.orgId} and unit_id = ${t.unitId} and milestone = 'close'),
    contacts as (
      select c.deal_id, c.lead_id from won w join deal_contacts c on c.org_id = ${t.orgId} and c.deal_id = w.id
      union
      select w.id, l.id from won w
        join leads l on l.org_id = ${t.orgId} and l.unit_id = ${t.unitId} and l.account_id = w.account_id and l.merged_into is null),
    leads as (select distinct lead_id from contacts),
    ev as (
      select e.lead_id, e.event_type
        from leads cl
        join events e on e.org_id = ${t.orgId} and e.unit_id = ${t.unitId} and e.lead_id = cl.lead_id
       where not (e.normalized and not e.normalized_parent) and e.decay_id is null),
    -- The points are the primary ruleset's event scores (an event's score_delta): read by lead from
    -- event_scores_unit_lead_time, not one outcome probe per event. Only canonical rows are scored;
    -- DECAY rows carry a decay_id.
    points as (
      select s.event_type, sum(s.delta)::bigint as total_points
        from leads cl
        join event_scores s on s.org_id = ${t.orgId} and s.unit_id = ${t.unitId} and s.lead_id = cl.lead_id
       where s.ruleset_id = (select r.id from rulesets r where r.org_id = ${t.orgId} and r.unit_id = ${t.unitId} and r.is_primary)
         and s.decay_id is null
       group by s.event_type),
    deal_types as (
      select lt.event_type, count(distinct c.deal_id)::int as deal_count
        from (select distinct lead_id, event_type from ev) lt join contacts c on c.lead_id = lt.lead_id group by lt.event_type),
    top as (
      select d.event_type, d.deal_count, coalesce(p.total_points, 0) as total_points from deal_types d left join points p on p.event_type = d.event_type
       order by 3 desc, d.deal_count desc, d.event_type collate "C" asc limit ${TOP_TYPES})
    select (select count(*)::int from won) as closed_won_deals,
           ${avg('mql')} as avg_score_at_mql, ${avg('sql')} as avg_score_at_sql,
           ${avg('opportunity')} as avg_score_at_opportunity, ${avg('close')} as avg_score_at_close,
           coalesce((select json_agg(json_build_object('event_type', event_type, 'deal_count', deal_count, 'total_points', total_points)
                      order by total_points desc, deal_count desc, event_type collate "C" asc) from top), '[]'::json) as top_event_types`.execute(db);
  return result.rows[0] as AttributionRow;
}
