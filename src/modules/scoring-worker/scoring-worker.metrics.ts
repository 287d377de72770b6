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

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The worker's metrics on the app's registry (shared when several workers use one registry). */
export function createScoringMetrics(registry?: Registry) {
  if (!registry) return null;
  const registers = [registry];
  return {
    scored: getOrCreate(registry, 'events_scored_total', () => new Counter({ name: 'events_scored_total', help: 'Events scored (committed) by the scoring worker.', registers })),
    // The seed's name and help text. Set by the worker (refreshQueueDepth), never counted at scrape time.
    queueDepth: getOrCreate(registry, 'queue_depth', () => new Gauge({ name: 'queue_depth', help: 'Current depth of the async processing queue.', registers })),
    latency: getOrCreate(registry, 'event_to_score_latency_seconds', () => new Histogram({
      name: 'event_to_score_latency_seconds',
      help: 'Latency in seconds from event ingestion (received_at) to its score commit.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    })),
    failures: getOrCreate(registry, 'scoring_event_failures_total', () => new Counter({
      name: 'scoring_event_failures_total',
      help: 'Failed scoring attempts of single events (each rolled back alone; the event is retried, then set aside).',
      registers,
    })),
    queueVacuums: getOrCreate(registry, 'scoring_queue_vacuums_total', () => new Counter({
      name: 'scoring_queue_vacuums_total',
      help: 'Vacuums of the scoring queue run by the worker (after every SCORING_QUEUE_VACUUM_EVERY events it took off the queue).',
      registers,
    })),
    setAside: getOrCreate(registry, 'scoring_events_set_aside_total', () => new Counter({
      name: 'scoring_events_set_aside_total',
      help: 'Events set aside unscored after repeated scoring failures (listed by GET /admin/scoring/set-aside).',
      registers,
    })),
  };
}

export type ScoringMetrics = NonNullable<ReturnType<typeof createScoringMetrics>>;
