import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database, Db } from '../../db/database.js';
import type { LiveHub } from '../../live/live-hub.js';
import { createWakeup, everyInterval } from '../../lifecycle/background.js';
import { runDecayPass } from './decay.js';
import { createLeadReplay } from './lead-replay.js';
import type { AfterScoring, BatchResult, EngineHooks } from './scoring.engine.js';
import { scoreIsolated, type PassOutcome } from './scoring-pass.js';
import { INGESTED_CHANNEL } from './scoring-queue.js';
import { createWorkerRepository, type ClaimCursor, type ClaimedEvent, type LeadKey } from './scoring-worker.repository.js';
import { createScoringMetrics, QUEUE_DEPTH_REFRESH_MS, type ScoringMetrics } from './scoring-worker.metrics.js';
import { createQueueVacuum } from './queue-vacuum.js';

export { MAX_EVENT_FAILURES } from './scoring-pass.js';
export { INGESTED_CHANNEL } from './scoring-queue.js';

/** At most this many OUs are looked at by one pass (the round robin goes on from there next pass). */
const MAX_UNITS_PER_PASS = 256;
/** How often the worker checks that `events` has planner statistics (see ensureStatistics). */
const STATISTICS_CHECK_MS = 60_000;

export interface ScoringWorkerOptions {
  database: Database;
  log: FastifyBaseLogger;
  live?: Pick<LiveHub, 'publish'>;
  registry?: Registry;
  batchSize?: number;
  concurrency?: number;
  pollMs?: number;
  /** Share (0–1] of a pass one OU may take while other OUs have a backlog; 1: no cap beyond fairness. */
  unitShare?: number;
  /** Passes are sized to last about this long (at most batchSize events): bounds the wait of a new OU's event. */
  passTargetMs?: number;
  decayIntervalSeconds?: number;
  /** Vacuum the scoring queue after every this many events taken off it by this process (0: never; queue-vacuum.ts). */
  queueVacuumEvery?: number;
  /** Test seam: runs inside the scoring transaction just before it commits (throw to simulate a crash). */
  beforeCommit?: (events: ClaimedEvent[]) => void | Promise<void>;
  /** Test hooks of the engine (a failing event): see EngineHooks. */
  hooks?: EngineHooks;
  /** Runs in each batch's transaction after its scores are written (trigger evaluation, src/modules/triggers). */
  afterScoring?: AfterScoring;
}

interface PassDeps {
  options: ScoringWorkerOptions;
  metrics: ScoringMetrics | null;
  batchSize: number;
  /** The share cap as a fraction of a pass. */
  unitShare: number;
  /** Told how many queue rows each committed pass deleted or rewrote. */
  onDequeued: (n: number) => void;
}

/** The smallest adaptive pass (per-pass costs stay small against it). */
const MIN_PASS_EVENTS = 50;

/**
 * Sizes passes to last about `targetMs`: an event of an OU that just became active waits for at
 * most the pass in flight and the next one, however large the other OUs' backlogs. The cost per
 * event is a moving average of the passes so far; a fast machine gets the whole batch size.
 */
function createPassSizer(batchSize: number, targetMs: number) {
  let msPerEvent = 0;
  return {
    limit: () => (msPerEvent <= 0 ? batchSize : Math.max(Math.min(MIN_PASS_EVENTS, batchSize), Math.min(batchSize, Math.floor(targetMs / msPerEvent)))),
    observe(events: number, ms: number): void {
      if (events < Math.min(MIN_PASS_EVENTS, batchSize)) return;
      const sample = ms / events;
      msPerEvent = msPerEvent <= 0 ? sample : 0.7 * msPerEvent + 0.3 * sample;
    },
  };
}

/** Metrics, live messages and logs of a committed pass (a loop's or a lead replay's), and its count for the queue vacuum. */
function reportPass(deps: PassDeps, outcome: PassOutcome): void {
  const { metrics, options } = deps;
  deps.onDequeued(takenCount(outcome));
  const now = Date.now();
  for (const result of outcome.scored) {
    metrics?.scored.inc(result.events.length);
    for (const e of result.events) metrics?.latency.observe(Math.max(0, (now - e.received_at.getTime()) / 1000));
    if (options.live) publishOutcomes(options.live, result);
  }
  for (const m of outcome.live) options.live?.publish(m.unitId, m.name, m.data);
  for (const f of outcome.failed) {
    metrics?.failures.inc();
    const context = { err: f.err, eventId: f.event.id, unitId: f.event.unit_id, attempts: f.attempts };
    if (f.setAsideCode === null) options.log.warn(context, 'scoring an event failed; it is retried, its lead waits');
    else {
      metrics?.setAside.inc();
      options.log.error({ ...context, scoringError: f.setAsideCode }, 'event set aside after repeated scoring failures');
    }
  }
}

function publishOutcomes(live: Pick<LiveHub, 'publish'>, result: BatchResult): void {
  for (const o of result.outcomes) {
    live.publish(o.unitId, 'score_update', { lead_id: o.leadId, ruleset_id: o.rulesetId, delta: o.delta, score: o.score, level: o.level });
    if (!o.surged) continue;
    live.publish(o.unitId, 'surge', { lead_id: o.leadId, event_id: o.eventId, ruleset_id: o.rulesetId, multiplier: o.multiplier, session_events: o.sessionEvents });
  }
}

/**
 * Settings of a scoring transaction. Index probes only: the claim and the writes are planned
 * without sequential scans, bitmap scans or sorts where an index can serve, so their plans do not
 * depend on planner statistics (autovacuum may be off, and the queue's statistics are stale by
 * nature: it is empty, then holds a backlog), and their prepared statements keep one generic plan
 * (planning them before every pass cost more than running them at live load; docs/scoring.md).
 * `synchronous_commit = off` (PostgreSQL) is safe:
 * score rows and the queue delete commit or vanish together, so a commit lost in a crash only means
 * those events are scored again after restart, still exactly once.
 */
export async function settingsOfPass(trx: Db, kind: Database['kind']): Promise<void> {
  // jit off: the disabled plan types add a huge cost, which would make PostgreSQL JIT-compile
  // every statement of the pass (measured: 680 ms of compiling for a 10 ms claim).
  // One statement (a round trip per pass counts when passes are small).
  const commit = kind === 'postgres' ? sql`, set_config('synchronous_commit', 'off', true)` : sql``;
  await sql`select set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
                   set_config('enable_sort', 'off', true), set_config('jit', 'off', true),
                   set_config('plan_cache_mode', 'force_generic_plan', true)${commit}`.execute(trx);
}

/** Queue rows a committed pass took off or rewrote: scored, retried (its row rewritten) or set aside. */
const takenCount = (outcome: PassOutcome) => outcome.scored.reduce((n, r) => n + r.events.length, 0) + outcome.failed.length;

/**
 * Passes: each is one transaction that claims a fair batch (round robin over the OUs with a
 * backlog, from a cursor kept here), scores it with failing events isolated under savepoints, and
 * commits scores, queue deletes and failure records together. Resolves to the events it scored.
 */
function createPassRunner(deps: PassDeps) {
  const { database, beforeCommit, hooks = {}, afterScoring } = deps.options;
  const sizer = createPassSizer(deps.batchSize, deps.options.passTargetMs ?? 250);
  let cursor: ClaimCursor | null = null;
  return async function runOnce(limit = sizer.limit()): Promise<number> {
    const started = performance.now();
    const outcome = await database.db.transaction().execute(async (trx) => {
      const repo = createWorkerRepository(trx);
      await settingsOfPass(trx, database.kind);
      const perUnit = Math.max(1, Math.floor(limit * deps.unitShare));
      const claim = await repo.claim({ limit, perUnitWhenShared: perUnit, maxUnits: Math.min(limit, MAX_UNITS_PER_PASS), cursor });
      if (claim.events.length === 0) return null;
      const result = await scoreIsolated(trx, repo, claim.events, hooks, afterScoring);
      await beforeCommit?.(claim.events);
      cursor = claim.cursor;
      return result;
    });
    if (!outcome) return 0;
    sizer.observe(outcome.claimed, performance.now() - started);
    reportPass(deps, outcome);
    return takenCount(outcome);
  };
}

/**
 * The burst probe of the inorganic filters is planned from `events` statistics. Without any (a
 * fresh database just bulk-loaded; autovacuum may be off) PostgreSQL walked the OU's time index on
 * every probe and passes were 20× slower; so the worker analyzes the table once when it finds it
 * never analyzed. Checked at most once a minute.
 */
function createStatisticsCheck(database: Database, log: FastifyBaseLogger) {
  let checkedAt = -Infinity;
  return async function ensureStatistics(): Promise<void> {
    if (Date.now() - checkedAt < STATISTICS_CHECK_MS) return;
    checkedAt = Date.now();
    try {
      if (await createWorkerRepository(database.db).analyzeEventsIfNeverAnalyzed()) log.info('analyzed events: it had no planner statistics yet');
    } catch (err) {
      log.warn({ err }, 'could not check the planner statistics of events');
    }
  };
}

/** queue_depth from one count of the queue, at most every QUEUE_DEPTH_REFRESH_MS unless forced. */
function createQueueDepth(database: Database, metrics: ScoringMetrics | null, log: FastifyBaseLogger) {
  let refreshedAt = -Infinity;
  const count = () => createWorkerRepository(database.db).queueDepth();
  return {
    count,
    async refresh(force = false): Promise<void> {
      if (!metrics || (!force && Date.now() - refreshedAt < QUEUE_DEPTH_REFRESH_MS)) return;
      refreshedAt = Date.now();
      try {
        metrics.queueDepth.set(await count());
      } catch (err) {
        log.warn({ err }, 'could not count queued events for queue_depth');
      }
    },
  };
}

/** LISTEN for ingestion; when the database is unreachable, polling carries on and LISTEN is retried. */
function createListener(database: Database, log: FastifyBaseLogger, onNotify: () => void) {
  let unlisten: (() => Promise<void>) | null = null;
  let listening: Promise<void> | null = null;
  return {
    ensure(active: boolean): Promise<void> {
      if (unlisten || !active) return Promise.resolve();
      listening ??= database
        .listen(INGESTED_CHANNEL, onNotify)
        .then((stop) => {
          unlisten = stop;
        })
        .catch((err: unknown) => log.warn({ err }, 'cannot LISTEN for ingestion yet; polling meanwhile'))
        .finally(() => {
          listening = null;
        });
      return listening;
    },
    async stop(): Promise<void> {
      await listening;
      await unlisten?.();
      unlisten = null;
    },
  };
}

/** What the loops and drain() share: nothing of a pass's recovery, only how to run and wait. */
interface Engine {
  runOnce: () => Promise<number>;
  ensureStatistics: () => Promise<void>;
  depth: ReturnType<typeof createQueueDepth>;
  metrics: ScoringMetrics | null;
  log: FastifyBaseLogger;
}

/** One pass that survives a failure of the whole pass (the database): resolves to -1 then. */
async function step(engine: Engine): Promise<number> {
  await engine.ensureStatistics();
  try {
    return await engine.runOnce();
  } catch (err) {
    engine.log.error({ err }, 'scoring pass failed; its events stay queued');
    return -1;
  }
}

/** Scores until the queue is empty (waiting for other workers' claims and retries); for tests and benches. */
async function drainQueue(engine: Engine): Promise<number> {
  let total = 0;
  await engine.ensureStatistics();
  for (;;) {
    const n = await engine.runOnce();
    total += n;
    if (n > 0) continue;
    if ((await engine.depth.count()) === 0) {
      engine.metrics?.queueDepth.set(0);
      return total;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One loop of the worker while `running()`; its back-off after failed passes is its own. */
async function runLoop(
  engine: Engine,
  wait: { running: () => boolean; idle: (ms: number) => Promise<void>; afterIdle: () => Promise<void>; pollMs: number },
): Promise<void> {
  let failures = 0;
  while (wait.running()) {
    await engine.depth.refresh();
    const n = await step(engine);
    failures = n < 0 ? failures + 1 : 0;
    if (!wait.running() || n > 0) continue;
    await wait.idle(n < 0 ? Math.min(100 * 2 ** Math.min(failures, 8), 30_000) : wait.pollMs);
    await wait.afterIdle();
  }
}

/**
 * The durable scoring worker (semantics §3, docs/scoring.md). Each pass is one transaction over the
 * scoring queue: a fair claim across OUs, per-lead advisory locks so no two passes (in this or
 * another process) ever score one lead at once, each lead in seq order, failing events isolated
 * and retried, then set aside. LISTEN on `lv_ingested` wakes it at once; `pollMs` is the fallback.
 */
export function createScoringWorker(options: ScoringWorkerOptions) {
  const { database, log } = options;
  const batchSize = options.batchSize ?? 1000;
  // PGlite has one connection: concurrent passes would only queue behind each other.
  const concurrency = database.kind === 'pglite' ? 1 : (options.concurrency ?? 2);
  const metrics = createScoringMetrics(options.registry);
  const vacuum = createQueueVacuum(database, log, options.queueVacuumEvery ?? 1000, metrics?.queueVacuums ?? null);
  const passDeps: PassDeps = { options, metrics, batchSize, unitShare: options.unitShare ?? 1, onDequeued: vacuum.taken };
  const runOnce = createPassRunner(passDeps);
  const { hooks = {}, afterScoring, beforeCommit } = options;
  const replays = createLeadReplay({ database, log, hooks, afterScoring, beforeCommit, settingsOfPass, report: (outcome) => reportPass(passDeps, outcome) });
  const engine: Engine = { runOnce: () => runOnce(), ensureStatistics: createStatisticsCheck(database, log), depth: createQueueDepth(database, metrics, log), metrics, log };
  const wakeup = createWakeup();
  const listener = createListener(database, log, () => wakeup.wake());
  const decay = everyInterval('decay', (options.decayIntervalSeconds ?? 60) * 1000, async () => {
    if ((await runDecayPass(database.db, new Date())) > 0) wakeup.wake();
  }, log);
  let running = false;
  let loops: Promise<void>[] = [];
  const wait = { running: () => running, idle: wakeup.idle, afterIdle: () => listener.ensure(running), pollMs: options.pollMs ?? 1000 };

  return {
    runOnce: () => runOnce(),
    step: () => step(engine),
    drain: () => drainQueue(engine),
    /** Counts the queue into queue_depth now (the loop does it every QUEUE_DEPTH_REFRESH_MS). */
    refreshQueueDepth: () => engine.depth.refresh(true),
    wake: () => wakeup.wake(),
    /** A rescore or merge just queued this lead's history: replay it in passes of its own (lead-replay.ts). */
    replayLead: (lead: LeadKey) => replays.replay(lead),
    /** Waits for a vacuum of the queue in flight (tests). */
    queueVacuumSettled: () => vacuum.settled(),
    /** One decay pass at a chosen "now" (tests); DECAY events are then scored by the worker. */
    runDecay: (now: Date) => runDecayPass(database.db, now),
    async start(): Promise<void> {
      if (running) return;
      running = true;
      replays.start();
      await listener.ensure(running);
      loops = Array.from({ length: concurrency }, () => runLoop(engine, wait));
      if (options.decayIntervalSeconds) decay.start();
    },
    /** Stops claiming; waits for the passes in flight to commit or roll back. */
    async stop(): Promise<void> {
      running = false;
      await replays.stop();
      await decay.stop();
      wakeup.wake();
      await Promise.all(loops);
      loops = [];
      await vacuum.settled();
      await listener.stop();
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
