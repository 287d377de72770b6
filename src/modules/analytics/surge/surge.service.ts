import type { AuthContext } from '../../../auth/access.js';
import type { Db } from '../../../db/database.js';
import { forbidden, notFound } from '../../../http/errors.js';
import { createSurgeRepository, type Activity } from './surge.repository.js';
import { INTERVAL_SECONDS, type SurgeMetrics, type SurgeQuery } from './surge.schemas.js';

type Bucket = Activity & { b: number };

const activityOf = (a: Activity): Activity => ({ events: a.events, surged_events: a.surged_events, points: a.points, surge_points: a.surge_points });

/** The bucket with the most surged events, then the most events, then the earliest. */
function peakOf(series: Bucket[]): Bucket | null {
  let peak: Bucket | null = null;
  for (const b of series) {
    if (b.events === 0) continue;
    if (!peak || b.surged_events > peak.surged_events || (b.surged_events === peak.surged_events && b.events > peak.events)) peak = b;
  }
  return peak;
}

export function createSurgeService(deps: { db: Db }) {
  const repo = createSurgeRepository(deps.db);

  /** The OU of the path: 404 outside the caller's organization, 403 when the caller is not its member. */
  async function requireMemberOf(auth: AuthContext, unitId: string) {
    if (!(await repo.unitExists(auth.orgId, unitId))) throw notFound('OU');
    if (auth.roleIn(unitId) === null) throw forbidden('you are not a member of this OU');
  }

  return {
    async metrics(auth: AuthContext, unitId: string, q: SurgeQuery): Promise<SurgeMetrics> {
      await requireMemberOf(auth, unitId);
      const width = INTERVAL_SECONDS[q.interval];
      const row = await repo.metrics({ orgId: auth.orgId, unitId }, { start: q.start, end: q.end, bucketSeconds: width, channel: q.channel });
      const series = JSON.parse(row.series) as Bucket[];
      const bucketStart = (b: number) => new Date(b * width * 1000).toISOString();
      const peak = peakOf(series);
      return {
        ou_id: unitId,
        start: q.start.toISOString(),
        end: q.end.toISOString(),
        interval: q.interval,
        channel: q.channel ?? null,
        totals: { ...activityOf(row), leads: row.leads, surged_leads: row.surged_leads, avg_multiplier: row.avg_multiplier },
        peak: peak ? { bucket_start: bucketStart(peak.b), ...activityOf(peak) } : { bucket_start: null, events: 0, surged_events: 0, points: 0, surge_points: 0 },
        min_score: row.min_score,
        max_score: row.max_score,
        channels: (JSON.parse(row.channels) as Array<Activity & { channel: string }>).map((c) => ({ channel: c.channel, ...activityOf(c) })),
        series: series.map((b) => ({ bucket_start: bucketStart(b.b), ...activityOf(b) })),
      };
    },
  };
}
