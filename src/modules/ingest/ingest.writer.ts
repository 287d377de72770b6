import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import { assembleOutcomes, deduplicate, messageColumns, messageKey, type StoredMessage } from './ingest.messages.js';
import { SCORING_LANE, type ScoringLane } from '../scoring-worker/scoring-queue.js';
import { channelOf, type PreparedEvent } from './ingest.prepare.js';
import {
  createIngestRepository,
  type AliasRow,
  type EventColumns,
  type EventTypeSetting,
  type IngestRepository,
  type LookupResult,
  type WriteInput,
} from './ingest.repository.js';

export interface Accepted {
  ok: true;
  /** The item's message_id was already stored: nothing was written, eventId is the stored event's. */
  duplicate: boolean;
  eventId: string;
  leadId: string;
  leadCreated: boolean;
  eventType: string;
  channel: string;
  occurredAt: Date;
  unitId: string;
}

export interface Rejected {
  ok: false;
  error: AppError;
}

export type Outcome = Accepted | Rejected;

const key3 = (unitId: string, kind: string, value: string) => `${unitId}\u0000${kind}\u0000${value}`;
const key2 = (unitId: string, id: string) => `${unitId}\u0000${id}`;

interface Assignment {
  leadId: string;
  created: boolean;
}

/** What the batch knows before writing: alias owners, settings, lead_id survivors and stored message ids. */
interface Known {
  owners: Map<string, string>;
  settings: Map<string, EventTypeSetting>;
  survivors: Map<string, string>;
  messages: Map<string, StoredMessage>;
}

/**
 * `pending` are aliases written by an earlier batch whose write may not have committed yet (the
 * import's pipeline): they are taken as owned by the lead that batch gives them.
 */
async function lookup(repo: IngestRepository, items: PreparedEvent[], pending: PendingOwners | null): Promise<Known> {
  const aliases = { org_id: [] as string[], unit_id: [] as string[], kind: [] as string[], value: [] as string[] };
  const settings = { org_id: [] as string[], unit_id: [] as string[], event_type: [] as string[] };
  const leads = { org_id: [] as string[], unit_id: [] as string[], id: [] as string[] };
  const messages = { org_id: [] as string[], unit_id: [] as string[], message_id: [] as string[] };
  const seen = new Set<string>();
  for (const item of items) {
    if (item.messageId !== null) {
      messages.org_id.push(item.orgId);
      messages.unit_id.push(item.unitId);
      messages.message_id.push(item.messageId);
    }
    for (const a of item.aliases) {
      const k = key3(item.unitId, a.kind, a.value);
      if (seen.has(k)) continue;
      seen.add(k);
      aliases.org_id.push(item.orgId);
      aliases.unit_id.push(item.unitId);
      aliases.kind.push(a.kind);
      aliases.value.push(a.value);
    }
    const s = key3(item.unitId, '', item.eventType);
    if (!seen.has(s)) {
      seen.add(s);
      settings.org_id.push(item.orgId);
      settings.unit_id.push(item.unitId);
      settings.event_type.push(item.eventType);
    }
    if (item.leadId !== null) {
      leads.org_id.push(item.orgId);
      leads.unit_id.push(item.unitId);
      leads.id.push(item.leadId);
    }
  }
  const found = await repo.lookup({ aliases, settings, leads, messages });
  const owners = await followMerges(repo, found);
  if (pending) for (const [k, leadId] of pending) if (!owners.has(k)) owners.set(k, leadId);
  return {
    owners,
    settings: await withCanonicalSettings(repo, found.settings),
    survivors: await survivorsOf(repo, found.leads),
    messages: new Map(found.messages.map((m) => [messageKey(m.unit_id, m.message_id), { eventId: m.event_id, leadId: m.lead_id }])),
  };
}

/** Alias owners, with a merged owner replaced by its surviving lead (rare: one more query). */
async function followMerges(repo: IngestRepository, found: LookupResult): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const merged = found.aliases.filter((a) => a.merged_into !== null);
  for (const a of found.aliases) if (a.merged_into === null) owners.set(key3(a.unit_id, a.kind, a.value), a.lead_id);
  if (merged.length === 0) return owners;
  const survivors = await repo.findSurvivors(
    merged.map((m) => m.org_id),
    merged.map((m) => m.unit_id),
    merged.map((m) => m.merged_into as string),
  );
  for (const m of merged) {
    const survivor = survivors.get(key2(m.unit_id, m.merged_into as string));
    if (survivor) owners.set(key3(m.unit_id, m.kind, m.value), survivor);
  }
  return owners;
}

async function survivorsOf(repo: IngestRepository, leads: LookupResult['leads']): Promise<Map<string, string>> {
  const survivors = new Map<string, string>();
  const merged = leads.filter((l) => l.merged_into !== null);
  for (const l of leads) if (l.merged_into === null) survivors.set(key2(l.unit_id, l.id), l.id);
  if (merged.length === 0) return survivors;
  const next = await repo.findSurvivors(
    merged.map((l) => l.org_id),
    merged.map((l) => l.unit_id),
    merged.map((l) => l.merged_into as string),
  );
  for (const l of merged) {
    const survivor = next.get(key2(l.unit_id, l.merged_into as string));
    if (survivor) survivors.set(key2(l.unit_id, l.id), survivor);
  }
  return survivors;
}

/** The canonical type's own setting decides whether the canonical row is scored ('observe'). */
async function withCanonicalSettings(repo: IngestRepository, rows: EventTypeSetting[]): Promise<Map<string, EventTypeSetting>> {
  const settings = new Map(rows.map((s) => [key2(s.unit_id, s.event_type), s]));
  const canonical = rows.filter(
    (s) => s.canonical_type && s.canonical_type !== s.event_type && !settings.has(key2(s.unit_id, s.canonical_type)),
  );
  if (canonical.length === 0) return settings;
  const more = await repo.findSettings(
    canonical.map((s) => s.org_id),
    canonical.map((s) => s.unit_id),
    canonical.map((s) => s.canonical_type as string),
  );
  for (const s of more) settings.set(key2(s.unit_id, s.event_type), s);
  return settings;
}

interface Resolution {
  assigned: Array<Assignment | null>;
  newLeads: Map<string, { orgId: string; unitId: string }>;
  newAliases: Array<AliasRow & { org_id: string }>;
}

/**
 * Semantics §2, in request order across the batch: lead_id (followed to its survivor) or the first
 * alias that has an owner picks the lead; no match creates one. Aliases nobody owns attach to the
 * chosen lead, so a later item of the same batch already sees them.
 */
function resolve(items: PreparedEvent[], known: Known): Resolution {
  const { owners, survivors } = known;
  const result: Resolution = { assigned: [], newLeads: new Map(), newAliases: [] };
  for (const item of items) {
    let assignment: Assignment | null = null;
    if (item.leadId !== null) {
      const survivor = survivors.get(key2(item.unitId, item.leadId));
      if (survivor) assignment = { leadId: survivor, created: false };
    } else {
      for (const a of item.aliases) {
        const owner = owners.get(key3(item.unitId, a.kind, a.value));
        if (owner) {
          assignment = { leadId: owner, created: false };
          break;
        }
      }
      if (!assignment) {
        assignment = { leadId: randomUUID(), created: true };
        result.newLeads.set(assignment.leadId, { orgId: item.orgId, unitId: item.unitId });
      }
    }
    result.assigned.push(assignment);
    if (!assignment) continue;
    for (const a of item.aliases) {
      const k = key3(item.unitId, a.kind, a.value);
      if (owners.has(k)) continue;
      owners.set(k, assignment.leadId);
      result.newAliases.push({ org_id: item.orgId, unit_id: item.unitId, kind: a.kind, value: a.value, lead_id: assignment.leadId });
    }
  }
  result.newAliases.sort((a, b) => compare(a.unit_id, b.unit_id) || compare(a.kind, b.kind) || compare(a.value, b.value));
  return result;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function eventColumns(): EventColumns {
  return {
    id: [], org_id: [], unit_id: [], lead_id: [], event_type: [], channel: [], metadata: [], occurred_at: [],
    received_at: [], normalized: [], normalized_parent: [], raw_event_id: [], skip_scoring: [],
  };
}

interface EventRow {
  id: string;
  leadId: string;
  eventType: string;
  normalized: boolean;
  parent: boolean;
  rawId: string | null;
  skip: boolean;
}

function pushRow(c: EventColumns, item: PreparedEvent, row: EventRow): string {
  const channel = channelOf(row.eventType, item.metadataChannel);
  c.id.push(row.id);
  c.org_id.push(item.orgId);
  c.unit_id.push(item.unitId);
  c.lead_id.push(row.leadId);
  c.event_type.push(row.eventType);
  c.channel.push(channel);
  c.metadata.push(item.metadataJson);
  c.occurred_at.push(item.occurredAt.toISOString());
  c.received_at.push(item.receivedAt.toISOString());
  c.normalized.push(row.normalized);
  c.normalized_parent.push(row.parent);
  c.raw_event_id.push(row.rawId);
  c.skip_scoring.push(row.skip);
  return channel;
}

/** The event row(s) of one item: one row, or a raw + canonical pair (semantics §2). */
function plan(c: EventColumns, item: PreparedEvent, assignment: Assignment, settings: Known['settings']): Accepted {
  const { leadId } = assignment;
  const setting = settings.get(key2(item.unitId, item.eventType));
  const observe = setting?.max_processing_scope === 'observe';
  const canonicalType = setting?.canonical_type;
  const base = { ok: true as const, duplicate: false, leadId, leadCreated: assignment.created, occurredAt: item.occurredAt, unitId: item.unitId };
  if (!canonicalType || canonicalType === item.eventType) {
    const id = randomUUID();
    const channel = pushRow(c, item, { id, leadId, eventType: item.eventType, normalized: false, parent: false, rawId: null, skip: observe });
    return { ...base, eventId: id, eventType: item.eventType, channel };
  }
  // Only the canonical row is scored, so the raw row is stored already settled.
  const rawId = randomUUID();
  pushRow(c, item, { id: rawId, leadId, eventType: item.eventType, normalized: true, parent: false, rawId: null, skip: true });
  const id = randomUUID();
  const skip = observe || settings.get(key2(item.unitId, canonicalType))?.max_processing_scope === 'observe';
  const channel = pushRow(c, item, { id, leadId, eventType: canonicalType, normalized: true, parent: true, rawId, skip });
  return { ...base, eventId: id, eventType: canonicalType, channel };
}

/** Aliases a planned batch creates, keyed like the lookup (unit, kind, value) → lead id. */
export type PendingOwners = Map<string, string>;

/** A batch resolved and laid out, ready for its one write statement. */
export interface PlannedBatch {
  outcomes: Outcome[];
  write: WriteInput;
  /** The aliases this batch creates, for the lookup of a batch planned before this one commits. */
  creates: PendingOwners;
}

export interface PlanOptions {
  /** Aliases of a batch planned before this one that may not have committed yet: see lookup(). */
  pending?: PendingOwners | null;
  /** The scoring-queue lane of the batch's events (default live; a bulk import yields to live traffic). */
  lane?: ScoringLane;
}

/**
 * Looks up and resolves a batch (semantics §2, in order) and lays out its write; writes nothing.
 * Items whose lead_id is not in their OU are 404s; items whose message_id is already stored (or
 * repeats an earlier item's) are answered as duplicates and not written.
 */
export async function planBatch(db: Db, items: PreparedEvent[], options: PlanOptions = {}): Promise<PlannedBatch> {
  const repo = createIngestRepository(db);
  const known = await lookup(repo, items, options.pending ?? null);
  const dedupe = deduplicate(items, known.messages);
  const fresh = dedupe.fresh.map((i) => items[i] as PreparedEvent);
  const resolution = resolve(fresh, known);

  const columns = eventColumns();
  const units = new Set<string>();
  const planned: Outcome[] = fresh.map((item, i) => {
    const assignment = resolution.assigned[i];
    if (!assignment) return { ok: false, error: new AppError('not_found', 'lead not found') };
    units.add(item.unitId);
    return plan(columns, item, assignment, known.settings);
  });
  const newLeads = [...resolution.newLeads.entries()];
  return {
    outcomes: assembleOutcomes(items, dedupe, planned),
    write: {
      leads: { org_id: newLeads.map(([, l]) => l.orgId), unit_id: newLeads.map(([, l]) => l.unitId), id: newLeads.map(([id]) => id) },
      aliases: resolution.newAliases,
      events: columns,
      messages: messageColumns(fresh, planned),
      wakeUnits: [...units],
      lane: options.lane ?? SCORING_LANE.live,
    },
    creates: new Map(resolution.newAliases.map((a) => [key3(a.unit_id, a.kind, a.value), a.lead_id])),
  };
}

/**
 * The one write statement of a planned batch, atomic on its own (no transaction is opened). A
 * database error rejects and writes nothing: WRITE_RACE asks for a new plan, anything else for a
 * retry per item. Each OU written to is NOTIFYed on INGESTED_CHANNEL, delivered at commit.
 */
export async function writePlanned(db: Db, planned: PlannedBatch): Promise<Outcome[]> {
  await createIngestRepository(db).write(planned.write);
  return planned.outcomes;
}

/** Plans and writes a batch: one lookup and one write statement in the common case, whatever its size. */
export async function writeBatch(db: Db, items: PreparedEvent[], lane: ScoringLane = SCORING_LANE.live): Promise<Outcome[]> {
  return writePlanned(db, await planBatch(db, items, { lane }));
}
