import type { Db } from '../../db/database.js';
import { lockLeads } from '../../db/locks.js';
import { serializationFailure, transactionWithRetry } from '../../db/transaction.js';
import { queueLeadsRescore } from '../scoring-worker/rescore.js';
import { createEventsRepository, type EventFilter, type EventsRepository, type ExportCursor } from './events.repository.js';
import type { Tenant } from '../../auth/tenant.js';
import type { LeadsService } from '../leads/leads.service.js';

const DAY_MS = 86_400_000;
/** Rows per export query: big enough to amortize the round trip, small enough to keep memory flat. */
export const EXPORT_PAGE_SIZE = 1000;

/** The seed's columns first (`id,lead_id,event_type,timestamp`), then ours. */
export const EXPORT_COLUMNS = ['id', 'lead_id', 'event_type', 'timestamp', 'channel', 'received_at', 'metadata'] as const;

/** First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell a spreadsheet shows as text: one starting like a formula gets a leading single quote
 * (OWASP's advice). Client strings (lead ids, event types) may start that way.
 */
export function neutralizeFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF, doubling its quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLine(fields: readonly string[]): string {
  return `${fields.map((field) => csvField(neutralizeFormula(field))).join(',')}\r\n`;
}

function pageOf(query: { page: number; limit: number }) {
  return { limit: query.limit, offset: (query.page - 1) * query.limit };
}

/**
 * The export as CSV text, read page by page with a keyset cursor so neither the database nor this
 * process holds more than one page; each page is its own short query, so the single PGlite
 * connection is never held for the whole download. The generator is pulled by the HTTP stream,
 * so a slow client slows the reads down instead of filling memory.
 */
export async function* exportCsvLines(
  repo: Pick<EventsRepository, 'exportPage'>,
  scope: Tenant,
  filter: EventFilter,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<string> {
  yield csvLine(EXPORT_COLUMNS);
  let after: ExportCursor | null = null;
  for (;;) {
    const rows = await repo.exportPage(scope, filter, after, pageSize);
    let chunk = '';
    for (const row of rows) {
      chunk += csvLine([
        row.id,
        row.lead_id,
        row.event_type,
        row.occurred_at.toISOString(),
        row.channel,
        row.received_at.toISOString(),
        JSON.stringify(row.metadata),
      ]);
    }
    if (chunk) yield chunk;
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) return;
    after = { occurredAt: last.cursor_at, seq: last.seq };
  }
}

/**
 * Deletes the listed events of the OU and queues their leads for rescoring in one transaction, so
 * totals never keep points of deleted events. Lock order (src/db/locks.ts): the leads' locks before
 * any row. An event's lead changes only in a merge, which holds both leads' locks; one that moved
 * after the lookup shows up here under a lead not locked, and the transaction runs again.
 */
async function deleteEventsAndRescore(trx: Db, scope: Tenant, ids: string[]): Promise<string[]> {
  const repo = createEventsRepository(trx);
  const locked = new Set(await repo.leadsOfEvents(scope, ids));
  await lockLeads(trx, scope.unitId, locked);
  const rows = await repo.deleteByIds(scope, ids);
  const leads = new Set(rows.map((r) => r.lead_id));
  if ([...leads].some((lead) => !locked.has(lead))) throw serializationFailure('an event moved to another lead while it was being deleted');
  await queueLeadsRescore(trx, scope, [...leads]);
  return rows.map((r) => r.id);
}

/** Lead delete (src/modules/leads): up to `limit` events of the leads, in the caller's transaction holding their locks. */
export function deleteLeadEvents(trx: Db, scope: Tenant, leadIds: string[], limit: number): Promise<number> {
  return createEventsRepository(trx).deleteOfLeads(scope, leadIds, limit);
}

/**
 * Lead merge (src/modules/leads): how many events the sources hold, in the caller's transaction
 * holding all their locks; the move itself is the rescore's UPDATE (queueLeadsRescore's `moveTo`).
 */
export function countLeadEvents(trx: Db, scope: Tenant, leadIds: string[]): Promise<number> {
  return createEventsRepository(trx).countOfLeads(scope, leadIds);
}

/** Lead merge truncation: all but the `keep` newest events of the leads are deleted (same locks). */
export function truncateLeadEvents(trx: Db, scope: Tenant, leadIds: string[], keep: number): Promise<number> {
  return createEventsRepository(trx).deleteAllButNewest(scope, leadIds, keep);
}

/**
 * Field mappings replayed for a batch of leads (src/modules/accounts): each event of the leads that
 * holds one of `fields`, with only those keys, in ingestion order per lead.
 */
export function mappedEventFields(trx: Db, scope: Tenant, leadIds: string[], fields: string[]) {
  return createEventsRepository(trx).mappedFieldsOfLeads(scope, leadIds, fields);
}

/**
 * Event-accounts backfill (src/modules/accounts): writes each event's `metadata.accountId` from its
 * lead's account where it is missing or names another account; the caller holds the leads' locks.
 * Answers the events scanned and updated.
 */
export function stampEventAccounts(trx: Db, scope: Tenant, leads: Array<{ id: string; account_id: string }>) {
  return createEventsRepository(trx).stampAccountIds(scope, leads);
}

export function createEventsService(deps: { db: Db; leads: Pick<LeadsService, 'requireLead'> }) {
  const { db, leads } = deps;
  const repo: EventsRepository = createEventsRepository(db);

  return {
    list(scope: Tenant, filter: EventFilter, query: { page: number; limit: number }) {
      return repo.list(scope, filter, pageOf(query));
    },

    async listByLead(scope: Tenant, leadId: string, query: { page: number; limit: number }) {
      await leads.requireLead(scope, leadId);
      return repo.listByLead(scope, leadId, pageOf(query));
    },

    exportCsv(scope: Tenant, filter: EventFilter) {
      return exportCsvLines(repo, scope, filter);
    },

    /**
     * Ids that are not events of the active OU (unknown, or another OU's) are reported in
     * `not_found` and left alone: the answer is the same either way, so nothing leaks.
     * Each row is deleted as asked; the other row of a normalized pair is not touched.
     */
    async batchDelete(scope: Tenant, ids: string[]) {
      const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
      const deleted = new Set(await transactionWithRetry(db, (trx) => deleteEventsAndRescore(trx, scope, unique)));
      return { deleted: deleted.size, not_found: unique.filter((id) => !deleted.has(id)) };
    },

    async stats(scope: Tenant, now = new Date()) {
      const { totals, top } = await repo.stats(scope, new Date(now.getTime() - DAY_MS));
      return {
        last_24h: { events: totals.events, leads: totals.leads },
        top_events: top.map((t) => ({ event_type: t.event_type, count: t.count })),
      };
    },

    async analytics(scope: Tenant, now = new Date()) {
      const { totals, byType } = await repo.analytics(scope, now);
      return {
        totals: {
          events: totals.events,
          leads: totals.leads,
          event_types: totals.event_types,
          last_24h: totals.last_24h,
          last_7d: totals.last_7d,
          last_30d: totals.last_30d,
        },
        by_type: Object.fromEntries(byType.map((t) => [t.event_type, t.count])),
      };
    },

    channels(scope: Tenant) {
      return repo.channels(scope);
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
