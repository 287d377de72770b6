import { channelOf, type PreparedEvent } from './ingest.prepare.js';
import type { MessageColumns } from './ingest.repository.js';
import type { Accepted, Outcome } from './ingest.writer.js';

/** The event a message id was stored as (semantics §2: within the last 7 days, same OU). */
export interface StoredMessage {
  eventId: string;
  leadId: string;
}

export const messageKey = (unitId: string, messageId: string) => `${unitId}\u0000${messageId}`;

/** Where each item of a batch stands with its message id, before anything is resolved or written. */
export interface Deduplication {
  /** Items to resolve and write, as indexes into the batch, in order. */
  fresh: number[];
  /** Items whose message id is already stored: index → the stored event. */
  stored: Map<number, StoredMessage>;
  /** Items repeating the message id of an earlier item of the same batch: index → that item's index. */
  repeats: Map<number, number>;
}

/** Sorts the batch's items into fresh ones, repeats of stored messages and repeats within the batch. */
export function deduplicate(items: PreparedEvent[], stored: Map<string, StoredMessage>): Deduplication {
  const result: Deduplication = { fresh: [], stored: new Map(), repeats: new Map() };
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    if (item.messageId === null) {
      result.fresh.push(i);
      return;
    }
    const key = messageKey(item.unitId, item.messageId);
    const known = stored.get(key);
    const earlier = first.get(key);
    if (known) result.stored.set(i, known);
    else if (earlier !== undefined) result.repeats.set(i, earlier);
    else {
      first.set(key, i);
      result.fresh.push(i);
    }
  });
  return result;
}

function duplicateOf(item: PreparedEvent, message: StoredMessage): Accepted {
  return {
    ok: true,
    duplicate: true,
    eventId: message.eventId,
    leadId: message.leadId,
    leadCreated: false,
    eventType: item.eventType,
    channel: channelOf(item.eventType, item.metadataChannel),
    occurredAt: item.occurredAt,
    unitId: item.unitId,
  };
}

/**
 * One outcome per item, in batch order: the planned outcome of each fresh item, the stored event
 * for a known message id, and the outcome of the earlier item for a repeat within the batch.
 */
export function assembleOutcomes(items: PreparedEvent[], dedupe: Deduplication, fresh: Outcome[]): Outcome[] {
  const outcomes: Outcome[] = new Array(items.length);
  dedupe.fresh.forEach((index, j) => {
    outcomes[index] = fresh[j] as Outcome;
  });
  for (const [index, message] of dedupe.stored) outcomes[index] = duplicateOf(items[index] as PreparedEvent, message);
  for (const [index, earlier] of dedupe.repeats) {
    const first = outcomes[earlier] as Outcome;
    outcomes[index] = first.ok ? duplicateOf(items[index] as PreparedEvent, first) : first;
  }
  return outcomes;
}

/** The message rows the write records: one per fresh item that carries a message id and is accepted. */
export function messageColumns(items: PreparedEvent[], outcomes: Outcome[]): MessageColumns {
  const columns: MessageColumns = { org_id: [], unit_id: [], message_id: [], event_id: [], lead_id: [] };
  items.forEach((item, i) => {
    const outcome = outcomes[i];
    if (item.messageId === null || !outcome?.ok) return;
    columns.org_id.push(item.orgId);
    columns.unit_id.push(item.unitId);
    columns.message_id.push(item.messageId);
    columns.event_id.push(outcome.eventId);
    columns.lead_id.push(outcome.leadId);
  });
  return columns;
}
