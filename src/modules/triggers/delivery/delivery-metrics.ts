import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The sender's metrics on the app's registry (get-or-create: several senders or modules may share them). */
export function createDeliveryMetrics(registry: Registry, countOpen: () => Promise<number>) {
  const registers = [registry];
  return {
    deliveries: getOrCreate(registry, 'deliveries_total', () => new Counter({
      name: 'deliveries_total',
      help: 'Delivery attempts by kind and what they led to: succeeded, retrying, failed (final), skipped.',
      labelNames: ['kind', 'status'] as const,
      registers,
    })),
    latency: getOrCreate(registry, 'delivery_attempt_duration_seconds', () => new Histogram({
      name: 'delivery_attempt_duration_seconds',
      help: 'Duration of one delivery attempt (webhook request, SMTP send, Slack call), by kind.',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    })),
    depth: getOrCreate(registry, 'deliveries_outbox_depth', () => new Gauge({
      name: 'deliveries_outbox_depth',
      help: 'Deliveries waiting to be sent or in flight (pending or sending), all OUs; counted at scrape time.',
      registers,
      async collect() {
        this.set(await countOpen());
      },
    })),
    slackLatency: getOrCreate(registry, 'event_to_slack_latency_seconds', () => new Histogram({
      name: 'event_to_slack_latency_seconds',
      help: 'Latency in seconds from event ingestion (received_at) to a successful Slack delivery of a trigger it fired.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    })),
  };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
