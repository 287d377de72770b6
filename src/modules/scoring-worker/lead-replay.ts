import type { FastifyBaseLogger } from 'fastify';
import type { Database, Db } from '../../db/database.js';
import type { AfterScoring, EngineHooks } from './scoring.engine.js';
import { scoreIsolated, type PassOutcome } from './scoring-pass.js';
import { createWorkerRepository, type ClaimedEvent, type LeadKey } from './scoring-worker.repository.js';

/**
 * Events of the lead per replay pass: ~0.2–0.4 s on a quiet machine (measured: 0.2–0.3 ms an event,
 * most of it the pass's write). Large against a pass's fixed cost (~15 round trips), small enough
 * that a pass's JavaScript (scoring, serializing its rows) never holds the event loop for long.
 */
export const REPLAY_PASS_EVENTS = 2000;
/** At most this many leads replayed at once by one process (each holds one pool connection). */
export const MAX_REPLAYS = 2;

export interface LeadReplayDeps {
  database: Database;
  log: FastifyBaseLogger;
  hooks: EngineHooks;
  afterScoring: AfterScoring | undefined;
  beforeCommit: ((events: ClaimedEvent[]) => void | Promise<void>) | undefined;
  /** The worker's transaction settings of a pass (index probes only). */
  settingsOfPass: (trx: Db, kind: Database['kind']) => Promise<void>;
  /** The worker's report of a committed pass (metrics, live messages, logs). */
  report: (outcome: PassOutcome) => void;
  /** Events of the lead per pass (REPLAY_PASS_EVENTS; tests take fewer). */
  passEvents?: number;
}

/**
 * Replays the history of a lead a rescore or a merge just queued (docs/scoring.md "Rescore"), in
 * passes of REPLAY_PASS_EVENTS of that lead only, on a connection of its own, beside the worker's
 * loops: those loops' passes stay sized to SCORING_PASS_TARGET_MS and go on scoring every other lead
 * (they skip this one while a replay pass holds it). Each pass is a worker pass in every other way:
 * the lead's lock, ingestion order, the same engine, failures isolated and retried, triggers.
 * It waits for the lead's lock where the loops only try it, so it takes the lead from the pass that
 * holds it when that pass commits. Best effort: whatever it leaves (a stop, a crash, an event
 * waiting for a retry) is still queued, and the loops score it. PostgreSQL only: PGlite has one connection.
 */
export function createLeadReplay(deps: LeadReplayDeps) {
  const { database, log } = deps;
  const active = new Map<string, Promise<void>>();
  let running = false;

  /** One pass over the lead's next events; answers how many it scored or recorded as failed (0: none left to take). */
  async function pass(lead: LeadKey): Promise<number> {
    const outcome = await database.db.transaction().execute(async (trx) => {
      await deps.settingsOfPass(trx, database.kind);
      const repo = createWorkerRepository(trx);
      const events = await repo.claimLead(lead, deps.passEvents ?? REPLAY_PASS_EVENTS);
      if (events.length === 0) return null;
      const result = await scoreIsolated(trx, repo, events, deps.hooks, deps.afterScoring);
      await deps.beforeCommit?.(events);
      return result;
    });
    if (!outcome) return 0;
    deps.report(outcome);
    return outcome.scored.reduce((n, r) => n + r.events.length, 0) + outcome.failed.length;
  }

  /** Passes until the lead has nothing left to take (or a failure stopped its run); logs what it did. */
  async function replay(lead: LeadKey): Promise<void> {
    const started = performance.now();
    let events = 0;
    let passes = 0;
    // Ends on a pass that takes nothing: none queued, or the next event waits for a retry after a
    // failure (its lead's later events wait with it; the loops retry it).
    for (let n = 1; running && n > 0; ) {
      n = await pass(lead);
      events += n;
      if (n > 0) passes++;
    }
    log.info({ unitId: lead.unit_id, leadId: lead.lead_id, events, passes, ms: Math.round(performance.now() - started) }, 'lead replay done');
  }

  return {
    /**
     * Starts replaying the lead's queued history, unless it is already, MAX_REPLAYS are running or the
     * database is PGlite; answers the replay's end (null: not started). Never rejects.
     */
    replay(lead: LeadKey): Promise<void> | null {
      const key = `${lead.unit_id}:${lead.lead_id}`;
      if (!running || database.kind !== 'postgres' || active.has(key) || active.size >= MAX_REPLAYS) return null;
      const done = replay(lead)
        .catch((err: unknown) => log.warn({ err, unitId: lead.unit_id, leadId: lead.lead_id }, 'lead replay stopped; the scoring loops go on with it'))
        .finally(() => active.delete(key));
      active.set(key, done);
      return done;
    },
    start(): void {
      running = true;
    },
    /** Stops starting passes; waits for those in flight to commit or roll back. */
    async stop(): Promise<void> {
      running = false;
      await Promise.all(active.values());
    },
  };
}

export type LeadReplay = ReturnType<typeof createLeadReplay>;
