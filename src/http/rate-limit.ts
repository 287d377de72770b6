import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { AppError } from './errors.js';
import type { Metrics } from './metrics.js';

type RateLimitConfig = Config['rateLimit'];

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** In-memory token buckets, one per key; each server process limits its own share. */
export function createRateLimiter(cfg: RateLimitConfig, now: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();

  function take(key: string): { allowed: boolean; retryAfterSeconds: number } {
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: cfg.burst, updatedAt: t };
    bucket.tokens = Math.min(cfg.burst, bucket.tokens + ((t - bucket.updatedAt) / 1000) * cfg.rps);
    bucket.updatedAt = t;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / cfg.rps)) };
  }

  function keyFor(request: FastifyRequest): string {
    const auth = request.auth;
    if (cfg.keyBy === 'member' && auth) {
      return auth.memberId ? `member:${auth.memberId}` : `credential:${auth.credentialId}`;
    }
    if (cfg.keyBy === 'org' && auth) return `org:${auth.orgId}`;
    return `ip:${request.ip}`;
  }

  return { config: cfg, take, keyFor };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** Limits authenticated requests after the auth hook has named the caller (semantics §1). */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: { limiter: RateLimiter; metrics: Metrics }) => {
    const { limiter, metrics } = opts;
    if (limiter.config.mode === 'off') return;
    app.addHook('onRequest', async (request, reply) => {
      if (!request.auth) return;
      const verdict = limiter.take(limiter.keyFor(request));
      if (verdict.allowed) return;
      metrics.rateLimited.inc({ mode: limiter.config.mode });
      if (limiter.config.mode === 'enforce') {
        reply.header('retry-after', String(verdict.retryAfterSeconds));
        throw new AppError('rate_limited', 'rate limit exceeded; retry later');
      }
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
