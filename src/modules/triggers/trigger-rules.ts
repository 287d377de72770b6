import type { WindowUnit } from '../../db/types.js';

/** Seconds in one window_unit: a sequence's `window_seconds` counts units of `window_unit` (docs/triggers.md). */
export const UNIT_SECONDS: Readonly<Record<WindowUnit, number>> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

export interface PatternCondition {
  event_type: string;
  min_count: number;
}

/** A trigger as the evaluator needs it (one of the firing kinds; surge triggers never fire). */
export interface FiringTrigger {
  id: string;
  kind: 'milestone' | 'sequence' | 'pattern';
  event_type: string | null;
  score_threshold: number | null;
  event_types: string[] | null;
  ordered: boolean | null;
  fire_mode: 'once' | 'every' | null;
  window_seconds: number | null;
  window_unit: WindowUnit | null;
  conditions: PatternCondition[] | null;
}

/** One event of a lead's history: ingestion order `seq`, event time `at` (ms). */
export interface HistoryEvent {
  id: string;
  seq: number;
  event_type: string;
  at: number;
}

/** The lead's latest firing of a trigger (its event's seq and time), if any. */
export interface LastFiring {
  seq: number;
  at: number;
}

/** The window of a sequence or pattern in milliseconds (0 for a milestone). */
export function windowMs(t: FiringTrigger): number {
  if (t.kind === 'sequence') return (t.window_seconds ?? 0) * UNIT_SECONDS[t.window_unit ?? 'seconds'] * 1000;
  if (t.kind === 'pattern') return (t.window_seconds ?? 0) * 1000;
  return 0;
}

/** The event types `t` counts: what its history is read of (`firingTypes` are the ones whose scoring may fire it). */
export function relevantTypes(t: FiringTrigger): string[] {
  if (t.kind === 'milestone') return t.event_type ? [t.event_type] : [];
  if (t.kind === 'sequence') return t.event_types ?? [];
  return (t.conditions ?? []).map((c) => c.event_type);
}

/** The event types whose scoring may fire `t`, each once (the worker finds a batch's candidates by them). */
export function firingTypes(t: FiringTrigger): string[] {
  if (t.kind === 'milestone') return t.event_type ? [t.event_type] : [];
  const steps = t.event_types ?? [];
  if (t.kind === 'sequence') return t.ordered === false ? [...new Set(steps)] : steps.slice(-1);
  return windowMs(t) > 0 ? [...new Set((t.conditions ?? []).map((c) => c.event_type))] : [];
}

/**
 * Whether scoring an event of `eventType` that leaves the lead at `score` can fire `t` at all,
 * whatever the lead's history: the checks `fireKey` makes first, so a false here is a null there.
 * The worker reads no history and no latest firing for a trigger that cannot fire.
 */
export function mayFire(t: FiringTrigger, eventType: string, score: number): boolean {
  return firingTypes(t).includes(eventType) && (t.kind !== 'milestone' || score >= (t.score_threshold ?? 0));
}

const before = (a: HistoryEvent, b: HistoryEvent) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * The part of a lead's history the current event sees: known before it (seq), in [from, its time],
 * and, for a new run, after the last firing (seq > after). A test per event, not a filtered copy:
 * this runs per candidate and trigger.
 */
interface Seen {
  current: HistoryEvent;
  from: number;
  after: number;
}

const sees = (s: Seen, e: HistoryEvent) => e.seq <= s.current.seq && e.seq > s.after && e.at >= s.from && e.at <= s.current.at;

/** The latest seen event of `type` before `pointer`. */
function latestBefore(history: HistoryEvent[], seen: Seen, type: string | undefined, pointer: HistoryEvent): HistoryEvent | undefined {
  let latest: HistoryEvent | undefined;
  for (const e of history) if (e.event_type === type && sees(seen, e) && before(e, pointer) && (!latest || before(latest, e))) latest = e;
  return latest;
}

/** How many seen events are of `type`. */
function countOf(history: HistoryEvent[], seen: Seen, type: string): number {
  let n = 0;
  for (const e of history) if (e.event_type === type && sees(seen, e)) n += 1;
  return n;
}

/**
 * Ordered: the current event is the last step, and walking back from it the latest earlier event
 * of each previous step exists inside the window (taking the latest keeps the run as short as it
 * can be, so a run exists exactly when this walk finds one).
 */
function orderedRun(steps: string[], history: HistoryEvent[], seen: Seen): boolean {
  if (steps[steps.length - 1] !== seen.current.event_type) return false;
  let pointer = seen.current;
  for (let k = steps.length - 2; k >= 0; k--) {
    const step = latestBefore(history, seen, steps[k], pointer);
    if (!step) return false;
    pointer = step;
  }
  return true;
}

/** Unordered: every step type is present in the window, as many times as it is listed. */
function unorderedRun(steps: string[], history: HistoryEvent[], seen: Seen): boolean {
  if (!steps.includes(seen.current.event_type)) return false;
  const need = new Map<string, number>();
  for (const s of steps) need.set(s, (need.get(s) ?? 0) + 1);
  for (const [type, n] of need) if (countOf(history, seen, type) < n) return false;
  return true;
}

/**
 * Whether scoring `current` fires `t` for its lead, and the firing's key (the unique key that makes
 * "once" hold in the database): null when it does not fire. `history` holds the lead's events of
 * the relevant types (the current one included); `score` is the lead's primary score after it.
 */
export function fireKey(t: FiringTrigger, current: HistoryEvent, score: number, history: HistoryEvent[], last: LastFiring | null): string | null {
  if (t.kind === 'milestone') {
    if (last || current.event_type !== t.event_type || score < (t.score_threshold ?? 0)) return null;
    return 'once';
  }
  const w = windowMs(t);
  if (t.kind === 'sequence') {
    const every = t.fire_mode === 'every';
    if (!every && last) return null;
    const steps = t.event_types ?? [];
    const seen: Seen = { current, from: current.at - w, after: every && last ? last.seq : -Infinity };
    const complete = t.ordered === false ? unorderedRun(steps, history, seen) : orderedRun(steps, history, seen);
    return complete ? (every ? `run:${current.id}` : 'once') : null;
  }
  const conditions = t.conditions ?? [];
  if (!conditions.some((c) => c.event_type === current.event_type) || w <= 0) return null;
  if (last && last.at > current.at - w) return null;
  // Trailing window (t − W, t]; firings at least W apart always fall into different tumbling windows.
  const seen: Seen = { current, from: current.at - w + 1, after: -Infinity };
  const holds = conditions.every((c) => countOf(history, seen, c.event_type) >= c.min_count);
  return holds ? `window:${Math.floor(current.at / w)}` : null;
}
