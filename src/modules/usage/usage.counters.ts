import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../db/database.js';
import { createUsageRepository, monthKey, type ApiCallDelta } from './usage.repository.js';

const FLUSH_MS = 200;
const COMPACT_MS = 60_000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * API calls counted in memory per (org, OU, month) and written as one delta row per key and flush,
 * so a busy ingestion endpoint costs one insert per flush, not one per request. Readers flush
 * first, so /usage includes every call answered before it.
 */
export function createUsageCounters(db: Db, onError: (err: unknown) => void) {
  const repo = createUsageRepository(db);
  let buffer = new Map<string, ApiCallDelta>();
  let pending: Promise<void> = Promise.resolve();
  const flushTimer = setInterval(() => void flush(), FLUSH_MS);
  const compactTimer = setInterval(() => void compact(), COMPACT_MS);
  flushTimer.unref();
  compactTimer.unref();

  function chain(work: () => Promise<unknown>): Promise<void> {
    pending = pending.then(async () => {
      try {
        await work();
      } catch (err) {
        onError(err);
      }
    });
    return pending;
  }

  function flush(): Promise<void> {
    if (buffer.size === 0) return pending;
    const deltas = [...buffer.values()];
    buffer = new Map();
    return chain(() => repo.addApiCalls(deltas));
  }

  /** Folds the delta rows of the current and the previous month (older months were folded then). */
  function compact(): Promise<void> {
    return chain(() => repo.compact(monthKey(new Date(Date.now() - 32 * 86_400_000))));
  }

  return {
    record(orgId: string, unitId: string | null, write: boolean, at = new Date()): void {
      const month = monthKey(at);
      const key = `${orgId}|${unitId ?? ''}|${month}`;
      const delta = buffer.get(key) ?? { orgId, unitId, month, calls: 0, writes: 0 };
      delta.calls += 1;
      if (write) delta.writes += 1;
      buffer.set(key, delta);
    },
    flush,
    compact,
    async close(): Promise<void> {
      clearInterval(flushTimer);
      clearInterval(compactTimer);
      await flush();
    },
  };
}

export type UsageCounters = ReturnType<typeof createUsageCounters>;

/** Counts every answered request of a known organization (signup and login count for the new session's org). */
export const usageCounterPlugin = fp(
  async (app: FastifyInstance, opts: { counters: UsageCounters }) => {
    app.addHook('onResponse', async (request) => {
      const orgId = request.auth?.orgId ?? request.auditActor?.orgId;
      if (!orgId) return;
      opts.counters.record(orgId, request.auth?.unitId ?? null, MUTATING.has(request.method));
    });
    app.addHook('onClose', async () => opts.counters.close());
  },
  { name: 'usage-counters', dependencies: ['audit'] },
);
