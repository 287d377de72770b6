import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { JsonObject, JsonValue, PropertyKind, UpdateBehavior } from '../../db/types.js';
import { leadRowsIn } from '../leads/leads.service.js';
import { createAccountsRepository } from './accounts.repository.js';
import type { MappingRow } from './property-scoring.schemas.js';

/** How many distinct values an `append` mapping keeps in `<property>_list` (semantics §5). */
export const APPEND_LIST_SIZE = 10;

/** An event's metadata for a lead, in ingestion order. */
export interface MappedEvent {
  orgId: string;
  unitId: string;
  leadId: string;
  metadata: JsonObject;
}

export interface MappingOutcome {
  leadsUpdated: number;
  accountsUpdated: number;
}

const unitKey = (orgId: string, unitId: string) => `${orgId}\u0000${unitId}`;
const sameJson = (a: JsonValue | undefined, b: JsonValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** Writes `value` into `target[property]` by the mapping's behaviour; answers whether anything changed. */
export function applyBehavior(target: JsonObject, property: string, behavior: UpdateBehavior, value: JsonValue): boolean {
  const before = JSON.stringify(target);
  if (behavior === 'set_once') {
    if (target[property] === undefined || target[property] === null) target[property] = value;
  } else {
    target[property] = value;
  }
  if (behavior === 'append') {
    const key = `${property}_list`;
    const list = Array.isArray(target[key]) ? (target[key] as JsonValue[]) : [];
    target[key] = [...list.filter((v) => !sameJson(v, value)), value].slice(-APPEND_LIST_SIZE);
  }
  return JSON.stringify(target) !== before;
}

/** Applies every mapping of `kind` to `target` from one event's metadata (a null or missing source field writes nothing). */
function applyEvent(target: JsonObject, mappings: MappingRow[], kind: PropertyKind, metadata: JsonObject): boolean {
  let changed = false;
  for (const m of mappings) {
    if (m.kind !== kind) continue;
    const value = metadata[m.source_field];
    if (value === undefined || value === null) continue;
    changed = applyBehavior(target, m.property, m.update_behavior, value) || changed;
  }
  return changed;
}

export function groupByUnit(mappings: MappingRow[]): Map<string, MappingRow[]> {
  const byUnit = new Map<string, MappingRow[]>();
  for (const m of mappings) byUnit.set(unitKey(m.org_id, m.unit_id), [...(byUnit.get(unitKey(m.org_id, m.unit_id)) ?? []), m]);
  return byUnit;
}

/**
 * Applies the mappings (grouped by OU) of the given kinds to the events' leads and their accounts,
 * in the caller's transaction: leads are locked in key order, then their accounts (always this order),
 * each event applied in the order given, and only changed rows written.
 */
export async function applyMappings(trx: Db, events: MappedEvent[], byUnit: Map<string, MappingRow[]>, kinds: ReadonlySet<PropertyKind>): Promise<MappingOutcome> {
  const relevant = events.filter((e) => (byUnit.get(unitKey(e.orgId, e.unitId)) ?? []).some((m) => kinds.has(m.kind) && e.metadata[m.source_field] != null));
  if (relevant.length === 0) return { leadsUpdated: 0, accountsUpdated: 0 };
  const leadRows = leadRowsIn(trx);
  const leads = new Map((await leadRows.lockLeadRows(relevant)).map((l) => [`${unitKey(l.org_id, l.unit_id)}\u0000${l.id}`, { ...l, metadata: { ...(l.metadata as JsonObject) }, changed: false }]));
  const accountEvents: Array<{ account: { orgId: string; unitId: string; accountId: string }; event: MappedEvent }> = [];
  for (const e of relevant) {
    const lead = leads.get(`${unitKey(e.orgId, e.unitId)}\u0000${e.leadId}`);
    if (!lead) continue;
    const mappings = byUnit.get(unitKey(e.orgId, e.unitId)) ?? [];
    if (kinds.has('profile')) lead.changed = applyEvent(lead.metadata, mappings, 'profile', e.metadata) || lead.changed;
    if (kinds.has('account') && lead.account_id) accountEvents.push({ account: { orgId: e.orgId, unitId: e.unitId, accountId: lead.account_id }, event: e });
  }
  const changedLeads = [...leads.values()].filter((l) => l.changed);
  await leadRows.writeLeadRows(changedLeads);
  const accountsUpdated = accountEvents.length > 0 ? await applyToAccounts(trx, accountEvents, byUnit) : 0;
  return { leadsUpdated: changedLeads.length, accountsUpdated };
}

async function applyToAccounts(trx: Db, items: Array<{ account: { orgId: string; unitId: string; accountId: string }; event: MappedEvent }>, byUnit: Map<string, MappingRow[]>): Promise<number> {
  const repo = createAccountsRepository(trx);
  const rows = await repo.lockAccounts(items.map((i) => i.account));
  const accounts = new Map(rows.map((a) => [`${unitKey(a.org_id, a.unit_id)}\u0000${a.id}`, { ...a, metadata: { ...(a.metadata as JsonObject) }, changed: false }]));
  for (const { account, event } of items) {
    const row = accounts.get(`${unitKey(account.orgId, account.unitId)}\u0000${account.accountId}`);
    if (!row) continue;
    row.changed = applyEvent(row.metadata, byUnit.get(unitKey(account.orgId, account.unitId)) ?? [], 'account', event.metadata) || row.changed;
  }
  const changed = [...accounts.values()].filter((a) => a.changed);
  await repo.writeMetadata(changed);
  return changed.length;
}

export const unitsOf = (events: Array<{ orgId: string; unitId: string }>): Tenant[] => {
  const seen = new Map<string, Tenant>();
  for (const e of events) seen.set(unitKey(e.orgId, e.unitId), { orgId: e.orgId, unitId: e.unitId });
  return [...seen.values()];
};
