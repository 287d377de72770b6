import type { Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { JsonValue, LeadScoresTable } from '../../db/types.js';
import type { LiveMessage } from '../../live/live-hub.js';
import { roundHalfAwayFromZero, surgeMultiplier } from '../scoring/surge.js';
import type { ClaimedEvent, EventScoreRow, UnitConfig, WorkerRepository } from './scoring-worker.repository.js';

export interface ScoreOutcome {
  unitId: string;
  leadId: string;
  eventId: string;
  rulesetId: string;
  delta: number;
  score: number;
  level: string | null;
  surged: boolean;
  multiplier: number;
  sessionEvents: number;
  /** The OU's primary ruleset (the score triggers compare). */
  primary: boolean;
}

export interface BatchResult {
  events: ClaimedEvent[];
  outcomes: ScoreOutcome[];
}

/**
 * Test hooks of the engine (never set in production; tests pass them to createScoringWorker):
 * an event `failEvent` picks is written with a value the database refuses (a burst root that is
 * not a UUID: SQLSTATE 22P02), so the whole write statement of its group fails in the database,
 * as a real poison event would.
 */
export interface EngineHooks {
  failEvent?: (e: ClaimedEvent) => boolean;
}

/**
 * Runs in the scoring transaction after a batch's scores are written (trigger evaluation): what it
 * writes commits with those scores, and a failure fails the batch like a failing score write. The
 * live messages it answers are published once the pass commits, and never when its savepoint rolls back.
 */
export type AfterScoring = (trx: Db, result: BatchResult) => Promise<readonly LiveMessage[] | void>;

/** OU configurations read once per pass, shared by the groups a failing pass is split into. */
export type ConfigCache = Map<string, UnitConfig | null>;

interface LeadState {
  session_events: number;
  session_last_at: Date | null;
  last_engaged_at: Date | null;
  last_event_at: Date | null;
  last_event_type: string | null;
}

type Patch = Record<string, JsonValue>;
type Filter = UnitConfig['filters'][number];
type Rule = UnitConfig['rules'][number];
type Burst = { n: number; first_id: string | null; first_root: string | null };

/** Everything a batch reads before scoring, and the rows it accumulates for the bulk writes. */
interface Batch {
  configs: Map<string, UnitConfig | null>;
  totals: Map<string, number>;
  states: Map<string, LeadState>;
  bursts: Map<string, Array<{ filter: Filter; burst: Burst }>>;
  patches: Map<string, Patch>;
  /** Burst root of each event this batch scored (null: not grouped), read before the stored one. */
  roots: Map<string, string | null>;
  eventScores: EventScoreRow[];
  leadScores: Map<string, Insertable<LeadScoresTable>>;
  outcomes: ScoreOutcome[];
  /** ISO text of the times of the events scored, by epoch ms. */
  isoByMs: Map<number, string>;
}

const leadKey = (e: { unit_id: string; lead_id: string }) => `${e.unit_id}:${e.lead_id}`;

export function levelFor(levels: UnitConfig['levels'], score: number): string | null {
  return levels.find((l) => l.min_score <= score && score <= l.max_score)?.name ?? null;
}

/** Below zero only when the org allows it; a total already below zero is never pushed further down. */
export function applyFloor(before: number, raw: number, allowNegative: boolean): number {
  const after = before + raw;
  if (allowNegative || raw >= 0 || after >= 0) return after;
  return Math.max(after, Math.min(before, 0));
}

/** Active rules of the ruleset for type T with start_at ≤ t < end_at (open ends allowed). */
export function matchingRules(rules: Rule[], rulesetId: string, eventType: string, t: number): Rule[] {
  return rules.filter(
    (r) =>
      r.ruleset_id === rulesetId &&
      r.active &&
      r.event_type === eventType &&
      (!r.start_at || r.start_at.getTime() <= t) &&
      (!r.end_at || t < r.end_at.getTime()),
  );
}

/**
 * A system DECAY event is one the decay scheduler created: only it sets decay_id (a column the
 * ingest path never writes). Nothing of an event's metadata is read to score it.
 */
function isDecay(e: ClaimedEvent): boolean {
  return e.decay_id !== null;
}

async function loadBatch(repo: WorkerRepository, events: ClaimedEvent[], cache: ConfigCache): Promise<Batch> {
  const configs = new Map<string, UnitConfig | null>();
  for (const unitId of new Set(events.map((e) => e.unit_id))) {
    if (!cache.has(unitId)) cache.set(unitId, await repo.unitConfig(unitId));
    configs.set(unitId, cache.get(unitId) ?? null);
  }
  const leads = [...new Map(events.map((e) => [leadKey(e), { org_id: e.org_id, unit_id: e.unit_id, lead_id: e.lead_id }])).values()];
  const rows = await repo.leadRows(leads);
  const totals = new Map<string, number>();
  for (const s of rows.scores) totals.set(`${leadKey(s)}:${s.ruleset_id}`, s.total_score);
  const states = new Map<string, LeadState>();
  for (const s of rows.states) states.set(leadKey(s), s);

  // Burst counts do not depend on scores, so every filter window of the batch is probed at once.
  const probes: Array<{ key: number; event: ClaimedEvent; from: Date; filter: Filter }> = [];
  for (const e of events) {
    for (const filter of configs.get(e.unit_id)?.filters ?? []) {
      if (filter.event_type !== e.event_type) continue;
      probes.push({ key: probes.length, event: e, from: new Date(e.occurred_at.getTime() - filter.time_window_ms), filter });
    }
  }
  const found = await repo.bursts(probes);
  const bursts = new Map<string, Array<{ filter: Filter; burst: Burst }>>();
  for (const p of probes) {
    const burst = found.get(p.key);
    if (burst) bursts.set(p.event.id, [...(bursts.get(p.event.id) ?? []), { filter: p.filter, burst }]);
  }
  return { configs, totals, states, bursts, patches: new Map(), roots: new Map(), eventScores: [], leadScores: new Map(), outcomes: [], isoByMs: new Map() };
}

/** Moves the lead's session and activity state past `e`; answers n, its 1-based place in the session. */
function advanceSession(state: LeadState, e: ClaimedEvent, idleResetSeconds: number): number {
  const t = e.occurred_at.getTime();
  const gap = state.session_last_at ? t - state.session_last_at.getTime() : Number.POSITIVE_INFINITY;
  const n = gap > idleResetSeconds * 1000 ? 1 : state.session_events + 1;
  state.session_events = n;
  state.session_last_at = e.occurred_at;
  if (!state.last_engaged_at || state.last_engaged_at.getTime() < t) state.last_engaged_at = e.occurred_at;
  if (!state.last_event_at || state.last_event_at.getTime() <= t) {
    state.last_event_at = e.occurred_at;
    state.last_event_type = e.event_type;
  }
  return n;
}

/** The root of a burst: its first event's own root (from this batch when it was scored here), else that event. */
function burstRoot(batch: Batch, firstId: string, storedRoot: string | null): string {
  if (batch.roots.has(firstId)) return batch.roots.get(firstId) ?? firstId;
  return storedRoot ?? firstId;
}

/** Flags `e` inorganic when a filter's threshold is reached; grouped_into follows the burst's root. */
function flagInorganic(batch: Batch, e: ClaimedEvent, patch: Patch): boolean {
  let inorganic = false;
  for (const { filter, burst } of batch.bursts.get(e.id) ?? []) {
    if (burst.n < filter.count_threshold) continue;
    inorganic = true;
    patch.inorganic = true;
    if (filter.group_events && burst.first_id) {
      const root = burstRoot(batch, burst.first_id, burst.first_root);
      batch.roots.set(e.id, root);
      patch.grouped_into = root;
    }
  }
  return inorganic;
}

interface EventContext {
  e: ClaimedEvent;
  /** The event's lead (`unit:lead`) and time as ISO text. */
  key: string;
  at: string;
  config: UnitConfig;
  patch: Patch;
  decay: boolean;
  n: number;
  inorganic: boolean;
}

/**
 * One ruleset's score of one event (semantics §3), accumulated into the batch's rows. The rows are
 * plain literals with their times as ISO text (no spread, no Date left for JSON.stringify): this
 * loop and the write's serialization were a third of the worker's CPU (bench/README.md, issue 11).
 */
function scoreRuleset(batch: Batch, ctx: EventContext, ruleset: UnitConfig['rulesets'][number]): void {
  const { e, config, decay, n, inorganic, at } = ctx;
  const matching = decay ? [] : matchingRules(config.rules, ruleset.id, e.event_type, e.occurred_at.getTime());
  const base = matching.reduce((sum, r) => sum + r.weight, 0);
  const multiplier = decay ? 1 : surgeMultiplier(config.surge, n);
  const decrease = e.decay_decrease ?? 0;
  const raw = decay ? -decrease : inorganic ? 0 : roundHalfAwayFromZero(base * multiplier);
  const totalKey = `${ctx.key}:${ruleset.id}`;
  const before = batch.totals.get(totalKey) ?? 0;
  const after = applyFloor(before, raw, config.allowNegative);
  const delta = after - before;
  batch.totals.set(totalKey, after);
  const surged = !decay && !inorganic && multiplier > 1 && base !== 0;
  const level = levelFor(config.levels, after);
  batch.eventScores.push({
    org_id: e.org_id, unit_id: e.unit_id, lead_id: e.lead_id, ruleset_id: ruleset.id, event_id: e.id, event_type: e.event_type,
    rules: matching.map((r) => ({ rule_id: r.id, event_type: r.event_type, weight: r.weight })),
    base, multiplier, delta, score_before: before, score_after: after, inorganic, surged,
    session_events: decay ? null : n, decay_id: e.decay_id, occurred_at: at,
  });
  // A DECAY event is no activity: keep the last activity time (the upsert keeps the stored one).
  const lastAt = decay ? (batch.leadScores.get(totalKey)?.last_event_at ?? null) : at;
  batch.leadScores.set(totalKey, {
    org_id: e.org_id, unit_id: e.unit_id, lead_id: e.lead_id, ruleset_id: ruleset.id, total_score: after, level, last_event_at: lastAt,
  });
  if (ruleset.is_primary) ctx.patch.score_delta = delta;
  batch.outcomes.push({ unitId: e.unit_id, leadId: e.lead_id, eventId: e.id, rulesetId: ruleset.id, delta, score: after, level, surged, multiplier, sessionEvents: n, primary: ruleset.is_primary });
}

function scoreEvent(batch: Batch, e: ClaimedEvent): void {
  const patch: Patch = {};
  batch.patches.set(e.id, patch);
  const config = batch.configs.get(e.unit_id);
  // Raw rows of normalized pairs and 'observe' types are stored, never scored (semantics §2).
  if (!config || (e.normalized && !e.normalized_parent) || config.observeTypes.has(e.event_type)) return;
  const key = leadKey(e);
  const state = batch.states.get(key) ?? { session_events: 0, session_last_at: null, last_engaged_at: null, last_event_at: null, last_event_type: null };
  batch.states.set(key, state);
  const decay = isDecay(e);
  // DECAY is no engagement: it neither counts in a session nor re-arms decay.
  const n = decay ? 0 : advanceSession(state, e, config.surge.idle_reset_seconds);
  batch.roots.set(e.id, null);
  const inorganic = decay ? false : flagInorganic(batch, e, patch);
  const at = e.occurred_at.toISOString();
  batch.isoByMs.set(e.occurred_at.getTime(), at);
  const ctx: EventContext = { e, key, at, config, patch, decay, n, inorganic };
  for (const ruleset of config.rulesets) scoreRuleset(batch, ctx, ruleset);
}

/** The lead's state row to write, its times as ISO text (most are the time of an event just scored). */
function stateRow(batch: Batch, e: ClaimedEvent) {
  const state = batch.states.get(leadKey(e)) as LeadState;
  const iso = (d: Date | null) => (d === null ? null : (batch.isoByMs.get(d.getTime()) ?? d.toISOString()));
  return {
    org_id: e.org_id, unit_id: e.unit_id, lead_id: e.lead_id, session_events: state.session_events, session_last_at: iso(state.session_last_at),
    last_engaged_at: iso(state.last_engaged_at), last_event_at: iso(state.last_event_at), last_event_type: state.last_event_type,
  };
}

async function writeBatch(repo: WorkerRepository, batch: Batch, events: ClaimedEvent[], hooks: EngineHooks): Promise<void> {
  const touched = new Set(events.map(leadKey));
  const rootOf = (e: ClaimedEvent) => (hooks.failEvent?.(e) ? 'not-a-uuid (test hook)' : (batch.roots.get(e.id) ?? null));
  const marked = await repo.writeScores({
    eventScores: batch.eventScores,
    leadScores: [...batch.leadScores.values()],
    states: events.filter((e) => touched.delete(leadKey(e)) && batch.states.has(leadKey(e))).map((e) => stateRow(batch, e)),
    patches: events.map((e) => ({ org_id: e.org_id, id: e.id, patch: batch.patches.get(e.id) ?? {}, burst_root: rootOf(e), queue_row: e.queue_row })),
  });
  if (marked !== events.length) throw new Error(`expected to mark ${events.length} events scored and dequeued, did ${marked}`);
}

/**
 * Scores claimed events (ingestion order per lead) inside the caller's transaction, exactly as
 * semantics §3: per ruleset matching rules, surge multiplier, rounding, inorganic filter, negative
 * floor, level; then writes every row in bulk and marks the events scored.
 */
export async function scoreEvents(
  repo: WorkerRepository,
  events: ClaimedEvent[],
  hooks: EngineHooks = {},
  cache: ConfigCache = new Map(),
): Promise<BatchResult> {
  const batch = await loadBatch(repo, events, cache);
  for (const e of events) scoreEvent(batch, e);
  await writeBatch(repo, batch, events, hooks);
  return { events, outcomes: batch.outcomes };
}
