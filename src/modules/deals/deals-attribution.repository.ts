import { sql } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { outcomeJoin } from '../../db/event-outcomes.js';

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
    ev as (
      select e.lead_id, e.event_type,
             coalesce(o.score_delta, 0) as points
        from (select distinct lead_id from contacts) cl
        join events e on e.org_id = ${t.orgId} and e.unit_id = ${t.unitId} and e.lead_id = cl.lead_id
        ${outcomeJoin('e')}
       where not (e.normalized and not e.normalized_parent) and e.decay_id is null),
    points as (select event_type, sum(points)::bigint as total_points from ev group by event_type),
    deal_types as (
      select lt.event_type, count(distinct c.deal_id)::int as deal_count
        from (select distinct lead_id, event_type from ev) lt join contacts c on c.lead_id = lt.lead_id group by lt.event_type),
    top as (
      select p.event_type, d.deal_count, p.total_points from points p join deal_types d on d.event_type = p.event_type
       order by p.total_points desc, d.deal_count desc, p.event_type collate "C" asc limit ${TOP_TYPES})
    select (select count(*)::int from won) as closed_won_deals,
           ${avg('mql')} as avg_score_at_mql, ${avg('sql')} as avg_score_at_sql,
           ${avg('opportunity')} as avg_score_at_opportunity, ${avg('close')} as avg_score_at_close,
           coalesce((select json_agg(json_build_object('event_type', event_type, 'deal_count', deal_count, 'total_points', total_points)
                      order by total_points desc, deal_count desc, event_type collate "C" asc) from top), '[]'::json) as top_event_types`.execute(db);
  return result.rows[0] as AttributionRow;
}
