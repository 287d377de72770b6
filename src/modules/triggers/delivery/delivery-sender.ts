import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Database } from '../../../db/database.js';
import { createWakeup } from '../../../lifecycle/background.js';
import { DELIVERIES_CHANNEL } from '../trigger-firing.repository.js';
import { skipped, type ChannelRegistry, type DeliveryChannel, type SendResult } from './channels.js';
import { createDeliveriesRepository, type AttemptRecord, type ClaimCursor, type DeliveryRecord } from './deliveries.repository.js';
import { createDeliveryMetrics, type DeliveryMetrics } from './delivery-metrics.js';

export interface DeliverySenderOptions {
  database: Database;
  log: FastifyBaseLogger;
  registry?: Registry;
  channels: ChannelRegistry;
  concurrency: number;
  pollMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  leaseSeconds: number;
}

/** OUs looked at by one claim (the round robin goes on from there next time). */
const MAX_UNITS_PER_CLAIM = 256;

/** Exponential back-off with "equal jitter": half the step fixed, half random, so delays still grow. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(step / 2 + Math.random() * (step / 2));
}

/** The attempt record of a send's result: succeeded, skipped, retried later, or failed for good. */
function attemptOf(d: DeliveryRecord, r: SendResult, o: DeliverySenderOptions, startedAt: Date, latencyMs: number): AttemptRecord {
  const common = { httpStatus: r.httpStatus ?? null, error: r.error ?? null, latencyMs: Math.round(latencyMs), startedAt };
  if (r.ok) return { ...common, status: 'succeeded', next: 'succeeded', retryInMs: 0 };
  if (r.skipped) return { ...common, status: 'skipped', next: 'skipped', retryInMs: 0 };
  const retry = r.retryable && d.attempts < o.maxAttempts;
  return { ...common, status: 'failed', next: retry ? 'pending' : 'failed', retryInMs: retry ? backoffMs(d.attempts, o.backoffBaseMs, o.backoffMaxMs) : 0 };
}

function slackMissing(): DeliveryChannel {
  return { kind: 'slack', send: async () => skipped('Slack is not available in this server: no Slack delivery channel is registered') };
}

/** Sends one claimed delivery and records the attempt; a channel that throws counts as a retryable failure. */
async function deliverOne(o: DeliverySenderOptions, metrics: DeliveryMetrics | null, d: DeliveryRecord, token: string): Promise<void> {
  const channel = o.channels.get(d.kind) ?? (d.kind === 'slack' ? slackMissing() : null);
  const startedAt = new Date();
  const started = performance.now();
  let result: SendResult;
  try {
    result = channel
      ? await channel.send({ id: d.id, org_id: d.org_id, unit_id: d.unit_id, kind: d.kind, target: d.target, payload: d.payload, attempt: d.total_attempts, event_received_at: d.event_received_at })
      : skipped(`no delivery channel for kind ${d.kind}`);
  } catch (err) {
    result = { ok: false, error: err instanceof Error ? err.message : String(err), retryable: true };
  }
  const seconds = (performance.now() - started) / 1000;
  const attempt = attemptOf(d, result, o, startedAt, seconds * 1000);
  const recorded = await createDeliveriesRepository(o.database.db).complete(d, token, attempt);
  if (!recorded) o.log.warn({ deliveryId: d.id }, 'delivery lease lost before its attempt was recorded');
  metrics?.deliveries.inc({ kind: d.kind, status: attempt.next === 'pending' ? 'retrying' : attempt.next });
  metrics?.latency.observe({ kind: d.kind }, seconds);
  if (result.ok && d.kind === 'slack' && d.event_received_at) metrics?.slackLatency.observe(Math.max(0, (Date.now() - d.event_received_at.getTime()) / 1000));
  if (!result.ok && !result.skipped) o.log.warn({ deliveryId: d.id, kind: d.kind, attempt: d.total_attempts, error: result.error, next: attempt.next }, 'delivery attempt failed');
}

/** Claims up to `limit` due deliveries and sends them concurrently; answers how many it claimed. */
function createBatchRunner(o: DeliverySenderOptions, metrics: DeliveryMetrics | null) {
  let cursor: ClaimCursor | null = null;
  return async function runBatch(limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const token = randomUUID();
    const claimed = await createDeliveriesRepository(o.database.db).claim({ limit, maxUnits: MAX_UNITS_PER_CLAIM, leaseSeconds: o.leaseSeconds, token, cursor });
    if (claimed.length === 0) return 0;
    const last = claimed[claimed.length - 1] as DeliveryRecord;
    cursor = { org_id: last.org_id, unit_id: last.unit_id };
    await Promise.all(claimed.map((d) => deliverOne(o, metrics, d, token).catch((err: unknown) => o.log.error({ err, deliveryId: d.id }, 'recording a delivery attempt failed'))));
    return claimed.length;
  };
}

/**
 * The outbox sender (docs/deliveries.md): claims due deliveries fairly across OUs under a lease
 * (FOR UPDATE SKIP LOCKED, so several processes share the outbox and never send one attempt
 * twice), sends up to `concurrency` at once, records every attempt, retries with back-off. LISTEN
 * on lv_deliveries wakes it at the commit of a firing; `pollMs` covers retries and missed notices.
 */
export function createDeliverySender(o: DeliverySenderOptions) {
  const repo = createDeliveriesRepository(o.database.db);
  const metrics = o.registry ? createDeliveryMetrics(o.registry, async () => (await repo.openSummary()).open) : null;
  const runBatch = createBatchRunner(o, metrics);
  const wakeup = createWakeup();
  let running = false;
  let loops: Array<Promise<void>> = [];
  let unlisten: (() => Promise<void>) | null = null;
  // Several lanes, each claiming a share of `concurrency`: one slow receiver (up to the timeout)
  // holds back only its lane's batch, not the whole sender.
  const lanes = Math.max(1, Math.min(o.concurrency, 4));
  const perLane = Math.ceil(o.concurrency / lanes);

  async function lane(): Promise<void> {
    let failures = 0;
    while (running) {
      let n = 0;
      try {
        n = await runBatch(perLane);
        failures = 0;
      } catch (err) {
        failures += 1;
        o.log.error({ err }, 'claiming deliveries failed; retrying after a pause');
      }
      if (n === 0 && running) await wakeup.idle(failures > 0 ? Math.min(100 * 2 ** failures, 30_000) : o.pollMs);
    }
  }

  return {
    async start(): Promise<void> {
      if (running) return;
      running = true;
      try {
        unlisten = await o.database.listen(DELIVERIES_CHANNEL, () => wakeup.wake());
      } catch (err) {
        o.log.warn({ err }, 'cannot LISTEN for deliveries; polling');
      }
      loops = Array.from({ length: lanes }, () => lane());
    },
    async stop(): Promise<void> {
      running = false;
      wakeup.wake();
      await Promise.all(loops);
      loops = [];
      await unlisten?.();
      unlisten = null;
    },
    wake: () => wakeup.wake(),
    /** One claim-and-send of up to `concurrency` deliveries (tests, benches). */
    runOnce: () => runBatch(o.concurrency),
    /**
     * Sends until no delivery is open: waits for retries to fall due and for other senders' claims.
     * Tests await it instead of sleeping (house rule 20); use short back-off delays there.
     */
    async drain(): Promise<void> {
      for (;;) {
        if ((await runBatch(o.concurrency)) > 0) continue;
        const { open, nextDueInMs } = await repo.openSummary();
        if (open === 0) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(5, nextDueInMs ?? 5))));
      }
    },
  };
}

export type DeliverySender = ReturnType<typeof createDeliverySender>;
