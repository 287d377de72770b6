import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { sqlstateOf } from '../../http/errors.js';
import type { LiveMessage } from '../../live/live-hub.js';
import { scoreEvents, type AfterScoring, type BatchResult, type ConfigCache, type EngineHooks } from './scoring.engine.js';
import type { ClaimedEvent, WorkerRepository } from './scoring-worker.repository.js';
import { scoringErrorCode } from './scoring-worker.metrics.js';

/** Failed attempts (each in its own pass) after which an event is set aside rather than retried forever. */
export const MAX_EVENT_FAILURES = 3;

/** How long a failed event waits before its next attempt: 250 ms, then 500 ms, ... */
export const retryDelayMs = (attempts: number) => 250 * 2 ** Math.max(0, attempts - 1);

/**
 * SQLSTATE classes that say the database (or this connection), not the event, is failing:
 * connection (08), transaction rollback (40), insufficient resources (53), operator intervention
 * (57: cancelled by statement_timeout, shutdown), system error (58). Such a failure fails the whole
 * pass (rolled back, retried after a back-off) and counts against no event.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);

export function isTransient(err: unknown): boolean {
  const sqlstate = sqlstateOf(err);
  return sqlstate !== undefined && TRANSIENT_CLASSES.has(sqlstate.slice(0, 2));
}

/** An event that failed in this pass: set aside (`code` set) or waiting for its next attempt. */
export interface FailedEvent {
  event: ClaimedEvent;
  err: unknown;
  attempts: number;
  setAsideCode: string | null;
}

/** What one pass did, reported after its commit (metrics, live messages, logs). */
export interface PassOutcome {
  claimed: number;
  scored: BatchResult[];
  failed: FailedEvent[];
  /** What afterScoring answered for the scored batches (trigger firings), to publish after the commit. */
  live: LiveMessage[];
}

/** The recovery state of one pass: nothing of it outlives the pass or is shared with another loop. */
interface PassState {
  trx: Db;
  repo: WorkerRepository;
  hooks: EngineHooks;
  afterScoring: AfterScoring | undefined;
  configs: ConfigCache;
  savepoints: number;
  outcome: PassOutcome;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; err: unknown };

/** Runs `work` under a savepoint: on failure the transaction is as it was before, and usable. */
async function underSavepoint<T>(state: PassState, work: () => Promise<T>): Promise<Attempt<T>> {
  const name = `lv_score_${state.savepoints++}`;
  await sql.raw(`savepoint ${name}`).execute(state.trx);
  try {
    const value = await work();
    await sql.raw(`release savepoint ${name}`).execute(state.trx);
    return { ok: true, value };
  } catch (err) {
    if (isTransient(err)) throw err;
    await sql.raw(`rollback to savepoint ${name}`).execute(state.trx);
    await sql.raw(`release savepoint ${name}`).execute(state.trx);
    return { ok: false, err };
  }
}

/** A failed attempt of one event, recorded in the pass's transaction; the last one sets it aside. */
async function recordFailure(state: PassState, event: ClaimedEvent, err: unknown): Promise<void> {
  const attempts = event.attempts + 1;
  const setAsideCode = attempts >= MAX_EVENT_FAILURES ? scoringErrorCode(err) : null;
  if (setAsideCode) await state.repo.setAside(event, setAsideCode, attempts);
  else await state.repo.recordFailure(event, attempts, retryDelayMs(attempts));
  state.outcome.failed.push({ event, err, attempts, setAsideCode });
}

/** Events grouped by `keyOf` (first appearance first), each group in ingestion order. */
function groupBy(events: ClaimedEvent[], keyOf: (e: ClaimedEvent) => string): ClaimedEvent[][] {
  const groups = new Map<string, ClaimedEvent[]>();
  for (const e of events) {
    const key = keyOf(e);
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  return [...groups.values()];
}

/**
 * How a failed group is split: by OU first (a failing event of one OU then costs the other OUs of
 * the pass one more write, not the whole search), then its leads in two halves.
 */
function splitGroups(events: ClaimedEvent[]): ClaimedEvent[][] {
  const units = groupBy(events, (e) => e.unit_id);
  if (units.length > 1) return units;
  const leads = groupBy(events, (e) => `${e.unit_id}:${e.lead_id}`);
  if (leads.length <= 1) return [];
  const half = Math.ceil(leads.length / 2);
  return [leads.slice(0, half).flat(), leads.slice(half).flat()];
}

/**
 * Scores `events` under a savepoint; when that fails, splits them and tries each part: by OU, then
 * leads in two halves (leads score independently), a single lead's run into its first and second half
 * (the second only when the first was scored, so the lead keeps its order). One event that still
 * fails alone is the culprit: its failure is recorded, its lead's later events wait for its retry.
 * A failing event costs O(log n) extra writes; every other lead of the pass is scored in it.
 * Answers whether every event of `events` was scored.
 */
async function scoreGroup(state: PassState, events: ClaimedEvent[]): Promise<boolean> {
  const attempt = await underSavepoint(state, async () => {
    const result = await scoreEvents(state.repo, events, state.hooks, state.configs);
    const live = (await state.afterScoring?.(state.trx, result)) ?? [];
    return { result, live };
  });
  if (attempt.ok) {
    // Kept only now: a group whose savepoint rolled back wrote no firing, so announces none.
    state.outcome.scored.push(attempt.value.result);
    state.outcome.live.push(...attempt.value.live);
    return true;
  }
  const groups = splitGroups(events);
  if (groups.length > 0) {
    // Smaller groups first: the other OUs' few events are written before the search goes on.
    for (const group of [...groups].sort((x, y) => x.length - y.length)) await scoreGroup(state, group);
    return false;
  }
  if (events.length > 1) {
    const half = Math.ceil(events.length / 2);
    return (await scoreGroup(state, events.slice(0, half))) && scoreGroup(state, events.slice(half));
  }
  await recordFailure(state, events[0] as ClaimedEvent, attempt.err);
  return false;
}

/** Scores a claimed batch in the pass's transaction, isolating failing events (see scoreGroup). */
export async function scoreIsolated(trx: Db, repo: WorkerRepository, events: ClaimedEvent[], hooks: EngineHooks, afterScoring?: AfterScoring): Promise<PassOutcome> {
  const state: PassState = { trx, repo, hooks, afterScoring, configs: new Map(), savepoints: 0, outcome: { claimed: events.length, scored: [], failed: [], live: [] } };
  await scoreGroup(state, events);
  return state.outcome;
}
