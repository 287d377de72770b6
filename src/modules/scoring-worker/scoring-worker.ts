import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../../db/database.js';
import type { LiveHub } from '../../live/live-hub.js';
import { runDecayPass } from './decay.js';
import { scoreEvents, type BatchResult } from './scoring.engine.js';
import { createWorkerRepository, type ClaimedEvent } from './scoring-worker.repository.js';
import { createScoringMetrics, QUEUE_DEPTH_REFRESH_MS, scoringErrorCode } from './scoring-worker.metrics.js';

/** Failed single-event passes after which an event is set aside rather than retried forever. */
export const MAX_EVENT_FAILURES = 3;

/** The channel ingestion NOTIFYs (payload: unit id) after each committed batch. */
export const INGESTED_CHANNEL = 'lv_ingested';

export interface ScoringWorkerOptions {
  database: Database;
  log: FastifyBaseLogger;
  live?: Pick<LiveHub, 'publish'>;
  registry?: Registry;
  batchSize?: number;
  concurrency?: number;
  pollMs?: number;
  decayIntervalSeconds?: number;
  /** Test seam: runs inside the scoring transaction just before it commits (throw to simulate a crash). */
  beforeCommit?: (events: ClaimedEvent[]) => void | Promise<void>;
}

/** How often the worker checks that `events` has planner statistics (see ensureStatistics). */
const STATISTICS_CHECK_MS = 60_000;
/**
 * The durable scoring worker (semantics §3). Each pass is one transaction: it claims the oldest
 * unscored events with SKIP LOCKED, takes a per-lead advisory lock so no two workers (in this or
 * another process) ever score one lead at the same time, scores each lead's backlog in seq order
 * and commits the score rows together with scored_at. A crash rolls the pass back and its events
 * are claimed again. LISTEN on `lv_ingested` wakes it at once; `pollMs` is the fallback.
 */
export function createScoringWorker(options: ScoringWorkerOptions) {
  const { database, log } = options;
  const db = database.db;
  const batchSize = options.batchSize ?? 1000;
  // PGlite has one connection: concurrent passes would only queue behind each other.
  const concurrency = database.kind === 'pglite' ? 1 : (options.concurrency ?? 2);
  const pollMs = options.pollMs ?? 1000;
  const metrics = createScoringMetrics(options.registry);

  let running = false;
  let loops: Promise<void>[] = [];
  let waiters: Array<() => void> = [];
  let unlisten: (() => Promise<void>) | null = null;
  let decayTimer: NodeJS.Timeout | null = null;
  let decayRunning: Promise<unknown> | null = null;

  function wake(): void {
    const current = waiters;
    waiters = [];
    for (const resolve of current) resolve();
  }

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  function afterCommit(result: BatchResult): void {
    const now = Date.now();
    if (metrics) {
      metrics.scored.inc(result.events.length);
      for (const e of result.events) metrics.latency.observe(Math.max(0, (now - e.received_at.getTime()) / 1000));
    }
    if (!options.live) return;
    for (const o of result.outcomes) {
      options.live.publish(o.unitId, 'score_update', { lead_id: o.leadId, ruleset_id: o.rulesetId, delta: o.delta, score: o.score, level: o.level });
      if (o.surged) {
        options.live.publish(o.unitId, 'surge', {
          lead_id: o.leadId,
          event_id: o.eventId,
          ruleset_id: o.rulesetId,
          multiplier: o.multiplier,
          session_events: o.sessionEvents,
        });
      }
    }
  }

  /** One claim-and-score transaction; resolves to the number of events it scored. */
  async function runOnce(limit = batchSize, onClaim?: (events: ClaimedEvent[]) => void): Promise<number> {
    const result = await db.transaction().execute(async (trx) => {
      const repo = createWorkerRepository(trx);
      // Safe to relax: score rows and scored_at commit or vanish together, so a commit lost in a
      // crash only means those events are scored again after restart, still exactly once.
      if (database.kind === 'postgres') await sql`set local synchronous_commit = off`.execute(trx);
      const events = await repo.claim(limit);
      onClaim?.(events);
      if (events.length === 0) return null;
      const scored = await scoreEvents(repo, events);
      await options.beforeCommit?.(events);
      return scored;
    });
    if (!result) return 0;
    afterCommit(result);
    return result.events.length;
  }

  let isolate = false;
  let consecutiveFailures = 0;
  const failures = new Map<string, number>();

  /**
   * A pass that survives failures: after a failed pass the next ones take one event at a time, so
   * a single event that keeps failing (a poison event) is found; after MAX_EVENT_FAILURES it is set
   * aside (scored_at set, metadata.scoring_error) instead of blocking the queue behind it forever.
   * Resolves to the events scored, or -1 when the pass failed.
   */
  /**
   * The burst probe of the inorganic filters is planned from `events` statistics. Without any (a
   * fresh database just bulk-loaded, before autovacuum's first pass) PostgreSQL walked the OU's
   * time index on every probe and passes were 20× slower; so the worker analyzes the table once
   * when it finds it never analyzed. Checked at most once a minute.
   */
  let statisticsCheckedAt = -Infinity;
  async function ensureStatistics(): Promise<void> {
    if (Date.now() - statisticsCheckedAt < STATISTICS_CHECK_MS) return;
    statisticsCheckedAt = Date.now();
    try {
      if (await createWorkerRepository(db).analyzeEventsIfNeverAnalyzed()) log.info('analyzed events: it had no planner statistics yet');
    } catch (err) {
      log.warn({ err }, 'could not check the planner statistics of events');
    }
  }

  async function step(): Promise<number> {
    await ensureStatistics();
    let claimed: ClaimedEvent[] = [];
    try {
      const n = await runOnce(isolate ? 1 : batchSize, (events) => (claimed = events));
      isolate = false;
      consecutiveFailures = 0;
      return n;
    } catch (err) {
      log.error({ err, events: claimed.length }, 'scoring pass failed; its events stay queued');
      const [only] = claimed;
      if (isolate && claimed.length === 1 && only) {
        const count = (failures.get(only.id) ?? 0) + 1;
        failures.set(only.id, count);
        // Only passes that got as far as claiming count, so a database outage sets nothing aside.
        if (count >= MAX_EVENT_FAILURES) {
          failures.delete(only.id);
          // The event keeps a code; the error's text (which may quote data) goes to the log only.
          const code = scoringErrorCode(err);
          await createWorkerRepository(db)
            .setAside(only, code)
            .then(() => log.error({ err, eventId: only.id, scoringError: code }, 'event set aside after repeated scoring failures'))
            .catch((setAsideErr: unknown) => log.error({ err: setAsideErr, eventId: only.id }, 'could not set the event aside'));
        }
      }
      isolate = true;
      consecutiveFailures += 1;
      return -1;
    }
  }

  async function unscoredCount(): Promise<number> {
    const row = await db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('scored_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  let depthRefreshedAt = -Infinity;
  /** Sets queue_depth from one count, at most every QUEUE_DEPTH_REFRESH_MS unless forced. */
  async function refreshQueueDepth(force = false): Promise<void> {
    if (!metrics || (!force && Date.now() - depthRefreshedAt < QUEUE_DEPTH_REFRESH_MS)) return;
    depthRefreshedAt = Date.now();
    try {
      metrics.queueDepth.set(await unscoredCount());
    } catch (err) {
      log.warn({ err }, 'could not count unscored events for queue_depth');
    }
  }

  /** Scores until no unscored event is left (waiting for other workers' claims); for tests and shutdown. */
  async function drain(): Promise<number> {
    let total = 0;
    await ensureStatistics();
    for (;;) {
      const n = await runOnce();
      total += n;
      if (n > 0) continue;
      if ((await unscoredCount()) === 0) {
        metrics?.queueDepth.set(0);
        return total;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      await refreshQueueDepth();
      const n = await step();
      if (running && n <= 0) {
        // After a failure retry soon (isolating the failing event), backing off while failures last.
        await idle(n < 0 ? Math.min(100 * 2 ** Math.min(consecutiveFailures, 8), 30_000) : pollMs);
        await ensureListening();
      }
    }
  }

  /** LISTEN for ingestion; when the database is unreachable, polling carries on and LISTEN is retried. */
  let listening: Promise<void> | null = null;
  function ensureListening(): Promise<void> {
    if (unlisten || !running) return Promise.resolve();
    listening ??= database
      .listen(INGESTED_CHANNEL, () => wake())
      .then((stop) => {
        unlisten = stop;
      })
      .catch((err: unknown) => log.warn({ err }, 'cannot LISTEN for ingestion yet; polling meanwhile'))
      .finally(() => {
        listening = null;
      });
    return listening;
  }

  async function decayTick(): Promise<void> {
    if (decayRunning) return;
    decayRunning = runDecayPass(db, new Date())
      .then((n) => {
        if (n > 0) wake();
      })
      .catch((err: unknown) => log.error({ err }, 'decay pass failed'))
      .finally(() => {
        decayRunning = null;
      });
    await decayRunning;
  }

  return {
    runOnce: () => runOnce(),
    step,
    drain,
    /** Counts unscored events into queue_depth now (the loop does it every QUEUE_DEPTH_REFRESH_MS). */
    refreshQueueDepth: () => refreshQueueDepth(true),
    wake,
    /** One decay pass at a chosen "now" (tests); DECAY events are then scored by the worker. */
    runDecay: (now: Date) => runDecayPass(db, now),
    async start(): Promise<void> {
      if (running) return;
      running = true;
      await ensureListening();
      loops = Array.from({ length: concurrency }, () => loop());
      if (options.decayIntervalSeconds) {
        decayTimer = setInterval(() => void decayTick(), options.decayIntervalSeconds * 1000);
        decayTimer.unref();
      }
    },
    /** Stops claiming; waits for the passes in flight to commit or roll back. */
    async stop(): Promise<void> {
      running = false;
      if (decayTimer) clearInterval(decayTimer);
      decayTimer = null;
      wake();
      await Promise.all(loops);
      await decayRunning;
      await listening;
      loops = [];
      await unlisten?.();
      unlisten = null;
    },
  };
}

export type ScoringWorker = ReturnType<typeof createScoringWorker>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's scoring worker: tests call drain()/runDecay(now) instead of sleeping (house rule 20). */
    scoringWorker: ScoringWorker;
  }
}
