import { sql } from 'kysely';
import type { Tenant } from '../../../auth/tenant.js';
import type { Db } from '../../../db/database.js';

export interface Activity {
  events: number;
  surged_events: number;
  points: number;
  surge_points: number;
}
export interface SurgeRow extends Activity {
  leads: number;
  surged_leads: number;
  avg_multiplier: number | null;
  min_score: number | null;
  max_score: number | null;
  channels: string;
  series: string;
}
export interface SurgeWindow {
  start: Date;
  end: Date;
  bucketSeconds: number;
  channel: string | undefined;
}

export function createSurgeRepository(db: Db) {
  return {
    async unitExists(orgId: string, unitId: string): Promise<boolean> {
      const row = await db.selectFrom('org_units').select('id').where('org_id', '=', orgId).where('id', '=', unitId).executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Scored engagement events (decay rows left out) of the OU's primary ruleset in [start, end):
     * totals, per channel and per bucket (every bucket, empty ones included), in one statement.
     */
    async metrics(t: Tenant, w: SurgeWindow): Promise<SurgeRow> {
      const width = w.bucketSeconds;
      const { rows } = await sql<SurgeRow>`
        with es as (
          select s.lead_id, s.delta, s.surged, s.multiplier, s.score_after, e.channel,
            case when s.surged then s.delta - s.base else 0 end as boost,
            floor(extract(epoch from s.occurred_at) / ${width})::bigint as b
          from event_scores s
          join events e on e.org_id = s.org_id and e.id = s.event_id
          where s.org_id = ${t.orgId} and s.unit_id = ${t.unitId} and s.decay_id is null
            and s.ruleset_id = (select id from rulesets where org_id = ${t.orgId} and unit_id = ${t.unitId} and is_primary)
            and s.occurred_at >= ${w.start} and s.occurred_at < ${w.end}
            ${w.channel === undefined ? sql`` : sql`and e.channel = ${w.channel}`}
        ),
        buckets as (
          select b, count(*)::int as events, count(*) filter (where surged)::int as surged_events,
            sum(delta)::float8 as points, sum(boost)::float8 as surge_points
          from es group by b
        ),
        series as (
          select g as b, coalesce(k.events, 0) as events, coalesce(k.surged_events, 0) as surged_events,
            coalesce(k.points, 0) as points, coalesce(k.surge_points, 0) as surge_points
          from generate_series(floor(extract(epoch from ${w.start}::timestamptz) / ${width})::bigint,
                               ceil(extract(epoch from ${w.end}::timestamptz) / ${width})::bigint - 1) as g
          left join buckets k on k.b = g
        ),
        ch as (
          select channel, count(*)::int as events, count(*) filter (where surged)::int as surged_events,
            sum(delta)::float8 as points, sum(boost)::float8 as surge_points
          from es group by channel
        )
        select count(*)::int as events, count(*) filter (where surged)::int as surged_events,
          coalesce(sum(delta), 0)::float8 as points, coalesce(sum(boost), 0)::float8 as surge_points,
          count(distinct lead_id)::int as leads, count(distinct lead_id) filter (where surged)::int as surged_leads,
          round(avg(multiplier), 3)::float8 as avg_multiplier, min(score_after) as min_score, max(score_after) as max_score,
          (select coalesce(json_agg(ch order by events desc, channel collate "C"), '[]'::json) from ch)::text as channels,
          (select coalesce(json_agg(json_build_object('b', b, 'events', events, 'surged_events', surged_events,
              'points', points, 'surge_points', surge_points) order by b), '[]'::json) from series)::text as series
        from es
      `.execute(db);
      return rows[0] as SurgeRow;
    },
  };
}
