import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so tests can build many apps in one process (house rule 17). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'Total number of HTTP requests by status code and method.',
    labelNames: ['method', 'status'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'rate_limit_exceeded_total',
    help: 'Requests over their rate limit (blocked in enforce mode, only counted in observe mode).',
    labelNames: ['mode'] as const,
    registers: [registry],
  });
  return { registry, httpRequests, rateLimited };
}

export type Metrics = ReturnType<typeof createMetrics>;
