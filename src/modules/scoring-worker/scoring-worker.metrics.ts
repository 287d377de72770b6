import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { sqlstateOf } from '../../http/errors.js';

/** How often the worker counts unscored events for the queue_depth gauge: scrapes never count. */
export const QUEUE_DEPTH_REFRESH_MS = 5_000;

/**
 * What metadata.scoring_error of a set-aside event records: a code, with the SQLSTATE when the
 * database failed (`scoring_failed:22P02`), never the error's text.
 */
export function scoringErrorCode(err: unknown): string {
  const sqlstate = sqlstateOf(err);
  return sqlstate ? `scoring_failed:${sqlstate}` : 'scoring_failed';
}

/** The worker's metrics on the app's registry (shared when several workers use one registry). */
export function createScoringMetrics(registry?: Registry) {
  if (!registry) return null;
  const existing = registry.getSingleMetric('events_scored_total');
  if (existing) {
    return {
      scored: existing as Counter,
      latency: registry.getSingleMetric('event_to_score_latency_seconds') as Histogram,
      queueDepth: registry.getSingleMetric('queue_depth') as Gauge,
    };
  }
  return {
    scored: new Counter({ name: 'events_scored_total', help: 'Events scored (committed) by the scoring worker.', registers: [registry] }),
    // The seed's name and help text. Set by the worker (refreshQueueDepth), never counted at scrape time.
    queueDepth: new Gauge({ name: 'queue_depth', help: 'Current depth of the async processing queue.', registers: [registry] }),
    latency: new Histogram({
      name: 'event_to_score_latency_seconds',
      help: 'Latency in seconds from event ingestion (received_at) to its score commit.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
