import { z } from 'zod';

export const CHANNELS = ['web', 'email', 'slack', 'webinar', 'crm', 'system'] as const;
/** Bucket width in seconds per interval. */
export const INTERVAL_SECONDS = { '15m': 900, '1h': 3600, '1d': 86_400 } as const;
export type SurgeInterval = keyof typeof INTERVAL_SECONDS;
/** Most buckets one answer carries; a longer range needs a wider interval (400). */
export const MAX_BUCKETS = 2000;

const rfc3339 = z.iso.datetime({ offset: true }).transform((v) => new Date(v)).describe('RFC3339');

// Object refinements also run when a field failed (and was left untransformed): check the types first.
const bothDates = (q: { start: unknown; end: unknown }) => q.start instanceof Date && q.end instanceof Date;

/** Buckets of `interval` that [start, end) touches. */
export function bucketCount(start: Date, end: Date, interval: SurgeInterval): number {
  const width = INTERVAL_SECONDS[interval] * 1000;
  return Math.ceil(end.getTime() / width) - Math.floor(start.getTime() / width);
}

export const surgeParams = z.object({ ouId: z.string().uuid() });
export const surgeQuery = z
  .object({
    start: rfc3339.describe('start of the range, inclusive (RFC3339)'),
    end: rfc3339.describe('end of the range, exclusive (RFC3339)'),
    interval: z.enum(['15m', '1h', '1d']).default('1h'),
    channel: z.enum(CHANNELS).optional(),
  })
  .refine((q) => !bothDates(q) || q.start <= q.end, { message: 'start must not be after end', path: ['start'] })
  .refine((q) => !bothDates(q) || bucketCount(q.start, q.end, q.interval) <= MAX_BUCKETS, {
    message: `the range holds more than ${MAX_BUCKETS} buckets of this interval: choose a wider interval or a shorter range`,
    path: ['interval'],
  });
export type SurgeQuery = z.infer<typeof surgeQuery>;

const int = z.number().int();
const activity = { events: int, surged_events: int, points: int, surge_points: int };
export const bucketSchema = z.object({ bucket_start: z.string(), ...activity });

export const surgeMetricsSchema = z
  .object({
    ou_id: z.string(),
    start: z.string(),
    end: z.string(),
    interval: z.enum(['15m', '1h', '1d']),
    channel: z.enum(CHANNELS).nullable(),
    totals: z.object({ ...activity, leads: int, surged_leads: int, avg_multiplier: z.number().nullable() }),
    peak: z.object({ bucket_start: z.string().nullable(), ...activity }),
    min_score: int.nullable(),
    max_score: int.nullable(),
    channels: z.array(z.object({ channel: z.string(), ...activity })),
    series: z.array(bucketSchema),
  })
  .meta({ id: 'SurgeMetrics' });
export type SurgeMetrics = z.infer<typeof surgeMetricsSchema>;
