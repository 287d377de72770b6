import { Counter, type Registry } from 'prom-client';
import type { Tenant } from '../../auth/tenant.js';
import type { Config } from '../../config.js';
import { AppError } from '../../http/errors.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Events per second an OU may ingest (issue 15): a token bucket per OU, one token per event, in
 * the mode of RATE_LIMIT_MODE (semantics §1): `off`, `observe` (counted in
 * ingest_rate_limited_total, never refused) or `enforce` (429 `rate_limited` with Retry-After,
 * before anything is stored). `eventsPerSecond` 0 is no limit. A batch larger than the burst is
 * let through from a full bucket (the bucket goes below zero), so every batch can pass some time.
 * Per process, like the request rate limit.
 */
export function createIngestLimiter(
  cfg: { mode: Config['rateLimit']['mode']; eventsPerSecond: number; burst: number },
  registry: Registry,
  now: () => number = Date.now,
) {
  const buckets = new Map<string, Bucket>();
  const limited = new Counter({
    name: 'ingest_rate_limited_total',
    help: 'Ingest requests over their OU\'s events-per-second limit (INGEST_RATE_LIMIT_EPS), by mode.',
    labelNames: ['mode'],
    registers: [registry],
  });

  /** Seconds to wait before `events` more events of the OU fit, or 0 when they are taken now. */
  function take(unitId: string, events: number): number {
    const t = now();
    const bucket = buckets.get(unitId) ?? { tokens: cfg.burst, updatedAt: t };
    bucket.tokens = Math.min(cfg.burst, bucket.tokens + ((t - bucket.updatedAt) / 1000) * cfg.eventsPerSecond);
    bucket.updatedAt = t;
    buckets.set(unitId, bucket);
    const needed = Math.min(events, cfg.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= events;
      return 0;
    }
    return Math.max(1, Math.ceil((needed - bucket.tokens) / cfg.eventsPerSecond));
  }

  return {
    /** Admits `events` events of the tenant's OU, or throws 429 in enforce mode. */
    admit(tenant: Tenant, events: number, setRetryAfter: (seconds: number) => void): void {
      if (cfg.mode === 'off' || cfg.eventsPerSecond <= 0 || events <= 0) return;
      const wait = take(tenant.unitId, events);
      if (wait === 0) return;
      limited.inc({ mode: cfg.mode });
      if (cfg.mode !== 'enforce') return;
      setRetryAfter(wait);
      throw new AppError('rate_limited', `this OU may ingest at most ${cfg.eventsPerSecond} events per second; retry later`);
    },
  };
}

export type IngestLimiter = ReturnType<typeof createIngestLimiter>;
