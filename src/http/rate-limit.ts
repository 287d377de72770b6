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

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Fixed-window counters: at most `limit` hits per key in the window that opens at the key's first
 * hit. Every window lasts `windowMs` and is (re)inserted when it opens, so the map stays ordered by
 * expiry: expired windows are swept from its front, and past `maxKeys` the window closest to its end
 * is forgotten first (bounded memory when an attacker rotates keys).
 */
export function createWindowCounter(opts: { limit: number; windowMs: number; maxKeys?: number; now?: () => number }) {
  const { limit, windowMs, maxKeys = 100_000, now = () => Date.now() } = opts;
  const windows = new Map<string, Window>();

  function sweep(t: number): void {
    for (const [key, window] of windows) {
      if (window.endsAt > t && windows.size < maxKeys) return;
      windows.delete(key);
    }
  }

  function open(key: string, t: number): Window | undefined {
    const window = windows.get(key);
    if (window && window.endsAt <= t) windows.delete(key);
    return window && window.endsAt > t ? window : undefined;
  }

  /** Seconds until `key` may try again, or 0 while it is under its limit. */
  function retryAfter(key: string): number {
    const t = now();
    const window = open(key, t);
    return window && window.count >= limit ? Math.max(1, Math.ceil((window.endsAt - t) / 1000)) : 0;
  }

  function hit(key: string): void {
    const t = now();
    const window = open(key, t);
    if (window) {
      window.count += 1;
      return;
    }
    sweep(t);
    windows.set(key, { count: 1, endsAt: t + windowMs });
  }

  return {
    retryAfter,
    hit,
    /** Counts a hit when `key` is under its limit (answers 0), else answers the seconds to wait. */
    take(key: string): number {
      const wait = retryAfter(key);
      if (wait === 0) hit(key);
      return wait;
    },
    reset(key: string): void {
      windows.delete(key);
    },
    size: () => windows.size,
  };
}

export type WindowCounter = ReturnType<typeof createWindowCounter>;

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
