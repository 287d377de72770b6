import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import type { BatchResult } from '../scoring-worker/scoring.engine.js';
import type { ClaimedEvent } from '../scoring-worker/scoring-worker.repository.js';
import { cacheIsCurrent, cachedTriggers, refreshTriggers } from './trigger-cache.js';
import {
  createTriggerFiringRepository, type ActiveTrigger, type ContextRequest, type EvaluationContext, type FiringRow, type FiringWrite,
  type HistoryProbe, type TriggerAction, type TriggerRow, type TriggerFiringRepository, type UnitKey, type UnitScope,
} from './trigger-firing.repository.js';
import { fireKey, firingTypes, mayFire, relevantTypes, windowMs, type FiringTrigger, type HistoryEvent, type LastFiring, type PatternCondition } from './trigger-rules.js';

export function toFiringTrigger(row: TriggerRow): FiringTrigger {
  return { ...row, kind: row.kind as FiringTrigger['kind'], conditions: (row.conditions as PatternCondition[] | null) ?? null };
}

/** Types a probe's mask can name (bits of an int4); a trigger counting a type past them makes its lead's read take every type. */
const MASK_TYPES = 31;

/**
 * An active trigger as evaluation uses it: the row, its rule, how many deliveries a firing of it
 * queues, and what it needs read: its window in ms and the types it counts as a bit mask over the
 * batch's `types` (0 for a milestone; null when one of them is past the mask). Once per batch.
 */
interface Armed {
  row: ActiveTrigger;
  rule: FiringTrigger;
  actions: number;
  window: number;
  mask: number | null;
}

/** The batch's triggers armed: per OU (unit id) and event type the ones an event of that type may fire; the counted types. */
interface Arming {
  byType: Map<string, Map<string, Armed[]>>;
  types: string[];
}

/** A scored event that may fire a trigger of its OU, with the lead's primary score after it. */
interface Candidate {
  event: ClaimedEvent;
  /** The lead's key (`unit:lead`) in the context's maps. */
  lead: string;
  score: number;
  triggers: Armed[];
}

const leadKey = (e: { unit_id: string; lead_id: string }) => `${e.unit_id}:${e.lead_id}`;

function armed(row: ActiveTrigger, typeIndex: Map<string, number>): Armed {
  const rule = toFiringTrigger(row);
  let mask: number | null = 0;
  if (rule.kind !== 'milestone') {
    for (const type of relevantTypes(rule)) {
      let bit = typeIndex.get(type);
      if (bit === undefined) typeIndex.set(type, (bit = typeIndex.size));
      if (mask !== null) mask = bit < MASK_TYPES ? mask | (1 << bit) : null;
    }
  }
  return { row, rule, actions: actionsOf(row).length, window: windowMs(rule), mask };
}

function arm(triggers: ActiveTrigger[]): Arming {
  const byType = new Map<string, Map<string, Armed[]>>();
  const typeIndex = new Map<string, number>();
  for (const row of triggers) {
    const t = armed(row, typeIndex);
    let unit = byType.get(row.unit_id);
    if (!unit) byType.set(row.unit_id, (unit = new Map()));
    for (const type of firingTypes(t.rule)) {
      const list = unit.get(type);
      if (list) list.push(t);
      else unit.set(type, [t]);
    }
  }
  return { byType, types: [...typeIndex.keys()].slice(0, MASK_TYPES) };
}

/**
 * The scored, non-DECAY events of the batch that can fire some active trigger of their OU (its type
 * and score allow it, `mayFire`), each with those triggers only: no other trigger needs a read; and
 * the types the candidates' masks name.
 */
function candidatesOf(result: BatchResult, triggers: ActiveTrigger[]): { candidates: Candidate[]; types: string[] } {
  const arming = arm(triggers);
  const primary = new Map<string, number>();
  for (const o of result.outcomes) if (o.primary) primary.set(o.eventId, o.score);
  const out: Candidate[] = [];
  for (const event of result.events) {
    const score = primary.get(event.id);
    const listed = arming.byType.get(event.unit_id)?.get(event.event_type);
    if (score === undefined || event.decay_id !== null || !listed) continue;
    let listening: Armed[] | null = null;
    for (const t of listed) if (mayFire(t.rule, event.event_type, score)) (listening ??= []).push(t);
    if (listening) out.push({ event, lead: leadKey(event), score, triggers: listening });
  }
  return { candidates: out, types: arming.types };
}

/**
 * One probe per candidate lead: its latest firings, and its history of the types its candidate
 * sequence and pattern triggers count (a bit mask over the batch's counted types) from the start of
 * the widest window among them (none for a lead with only milestones to evaluate), up to its
 * latest candidate event. Each trigger's own window is applied in memory (`fireKey`).
 */
function requestOf(candidates: Candidate[], units: UnitKey[], types: string[]): ContextRequest {
  const unitIndex = new Map(units.map((u, i) => [u.unit_id, i]));
  const probes = new Map<string, HistoryProbe>();
  for (const c of candidates) {
    const e = c.event;
    let probe = probes.get(c.lead);
    if (!probe) probes.set(c.lead, (probe = { u: unitIndex.get(e.unit_id) ?? -1, lead_id: e.lead_id, from_ms: null, to_ms: null, mask: 0, max_seq: 0 }));
    const at = e.occurred_at.getTime();
    for (const t of c.triggers) {
      if (t.rule.kind === 'milestone') continue;
      probe.mask = probe.mask === null || t.mask === null ? null : probe.mask | t.mask;
      const from = at - t.window;
      if (probe.from_ms === null || from < probe.from_ms) probe.from_ms = from;
      // Exclusive: the millisecond after the latest, so an event stored with microseconds in that millisecond is read.
      if (probe.to_ms === null || at + 1 > probe.to_ms) probe.to_ms = at + 1;
    }
    const seq = Number(e.seq);
    if (seq > probe.max_seq) probe.max_seq = seq;
  }
  return { probes: [...probes.values()], units, types };
}

/** One action per channel the trigger names: webhook, email, Slack (each firing in activate scope delivers to each). */
function actionsOf(row: TriggerRow): TriggerAction[] {
  const base = { trigger_id: row.id, trigger_name: row.name };
  const out: TriggerAction[] = [];
  if (row.webhook_url) out.push({ ...base, kind: 'webhook', target: { url: row.webhook_url } });
  if (row.emails.length > 0) {
    out.push({ ...base, kind: 'email', target: { to: row.emails, subject: row.email_subject, preheader: row.email_preheader, message: row.email_message } });
  }
  if (row.slack_target_kind) out.push({ ...base, kind: 'slack', target: { target_kind: row.slack_target_kind, target_id: row.slack_target_id } });
  return out;
}

interface Evaluation {
  history: Map<string, HistoryEvent[]>;
  last: Map<string, Map<string, LastFiring>>;
  quiet: Set<string>;
  firings: FiringWrite[];
  /** Per firing id, how many deliveries it queues if written (its trigger's actions; 0 in decide scope). */
  deliveries: Map<string, number>;
}

/** Evaluates one candidate against its OU's triggers; a firing updates `last` so later events of the batch see it. */
function evaluate(ev: Evaluation, c: Candidate): void {
  const e = c.event;
  const current: HistoryEvent = { id: e.id, seq: Number(e.seq), event_type: e.event_type, at: e.occurred_at.getTime() };
  const history = ev.history.get(c.lead) ?? [current];
  let last = ev.last.get(c.lead);
  for (const { row, rule, actions } of c.triggers) {
    const key = fireKey(rule, current, c.score, history, last?.get(row.id) ?? null);
    if (key === null) continue;
    if (!last) ev.last.set(c.lead, (last = new Map()));
    last.set(row.id, { seq: current.seq, at: current.at });
    const delivered = !ev.quiet.has(`${e.unit_id}:${e.event_type}`);
    const firing: FiringWrite = {
      org_id: e.org_id, unit_id: e.unit_id, id: randomUUID(), trigger_id: row.id, kind: row.kind, lead_id: e.lead_id, event_id: e.id,
      event_type: e.event_type, event_seq: current.seq, event_at: e.occurred_at.toISOString(), score: c.score, fire_key: key, delivered,
      event_received_at: e.received_at.toISOString(),
    };
    ev.firings.push(firing);
    ev.deliveries.set(firing.id, delivered ? actions : 0);
  }
}

/** The `unit:event_type` keys in one scope. */
function scopeKeys(scopes: UnitScope[], scope: string): Set<string> {
  return new Set(scopes.filter((s) => s.scope === scope).map((s) => `${s.unit_id}:${s.event_type}`));
}

/** What evaluation starts from: the context read for the candidates, with the scopes applied. */
function prepare({ history, last, scopes }: EvaluationContext): Evaluation {
  // `observe` events are stored, never scored: they are no step of a run; `decide` ones fire without delivering.
  const observed = scopeKeys(scopes, 'observe');
  const quiet = scopeKeys(scopes, 'decide');
  if (observed.size > 0) for (const [key, events] of history) {
    const unitId = key.slice(0, key.indexOf(':'));
    history.set(key, events.filter((e) => !observed.has(`${unitId}:${e.event_type}`)));
  }
  return { history, last, quiet, firings: [], deliveries: new Map() };
}

/** A firing the write kept (its unique key refuses a repeat), with what the live stream tells of it. */
export interface WrittenFiring extends FiringRow {
  trigger_name: string;
  /** Delivery rows queued for it (0 for a `decide`-scope firing or a trigger without actions). */
  deliveries: number;
  fired_at: string;
}

function writtenFirings(ev: Evaluation, triggers: TriggerRow[], ids: string[], firedAt: string): WrittenFiring[] {
  const written = new Set(ids);
  const names = new Map(triggers.map((t) => [t.id, t.name]));
  const out: WrittenFiring[] = [];
  for (const f of ev.firings) {
    if (!written.has(f.id)) continue;
    const { event_received_at: _, ...row } = f;
    out.push(Object.assign(row, { trigger_name: names.get(f.trigger_id) ?? '', deliveries: ev.deliveries.get(f.id) ?? 0, fired_at: firedAt }));
  }
  return out;
}

interface BatchContext {
  triggers: ActiveTrigger[];
  candidates: Candidate[];
  context: EvaluationContext | null;
}

/**
 * The batch's candidates and their context, with the OUs' triggers as this transaction sees them:
 * from the cache when the versions read with the context (or alone, when no candidate needs a
 * context) match it, else read again (trigger-cache.ts).
 */
async function batchContext(repo: TriggerFiringRepository, result: BatchResult, units: UnitKey[]): Promise<BatchContext> {
  const read = ({ candidates, types }: ReturnType<typeof candidatesOf>) => (candidates.length > 0 ? repo.context(requestOf(candidates, units, types)) : null);
  const cached = cachedTriggers(units);
  if (cached) {
    const found = candidatesOf(result, cached);
    const context = await read(found);
    if (cacheIsCurrent(units, context?.versions ?? (await repo.unitVersions(units)))) return { triggers: cached, candidates: found.candidates, context };
  }
  const triggers = await refreshTriggers(repo, units);
  const found = candidatesOf(result, triggers);
  return { triggers, candidates: found.candidates, context: await read(found) };
}

/**
 * Evaluates the OUs' active triggers for the events a scoring batch just scored, inside the batch's
 * transaction (semantics §7): firings and their deliveries commit with the scores that caused them.
 * Set-based: per batch one read (the context, with the version check of the cached triggers) and,
 * when anything fires, one write; a cache miss or a changed trigger adds one read of the triggers.
 * Answers the firings written (for the live stream, published by the caller after the commit).
 */
export async function fireTriggers(trx: Db, result: BatchResult): Promise<WrittenFiring[]> {
  if (result.outcomes.length === 0) return [];
  const repo = createTriggerFiringRepository(trx);
  const byUnit = new Map<string, UnitKey>();
  for (const e of result.events) if (!byUnit.has(e.unit_id)) byUnit.set(e.unit_id, { org_id: e.org_id, unit_id: e.unit_id });
  const units = [...byUnit.values()];
  const { triggers, candidates, context } = await batchContext(repo, result, units);
  if (!context) return [];
  const firedAt = new Date().toISOString();
  const ev = prepare(context);
  for (const c of candidates) evaluate(ev, c);
  if (ev.firings.length === 0) return [];
  const fired = new Set(ev.firings.filter((f) => f.delivered).map((f) => f.trigger_id));
  const actions = triggers.filter((t) => fired.has(t.id)).flatMap(actionsOf);
  return writtenFirings(ev, triggers, await repo.writeFirings(ev.firings, actions, firedAt), firedAt);
}
