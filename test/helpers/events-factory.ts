import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/database.js';
import type { JsonObject } from '../../src/db/types.js';

/** The OU a row belongs to: the orgId/unitId of a signup() session. */
export interface Ou {
  orgId: string;
  unitId: string;
}

/** Inserts a lead directly (no ingestion), id a UUID unless given. */
export async function insertLead(db: Db, ou: Ou, overrides: { id?: string } = {}): Promise<string> {
  const id = overrides.id ?? randomUUID();
  await db.insertInto('leads').values({ org_id: ou.orgId, unit_id: ou.unitId, id }).execute();
  return id;
}

export interface EventOverrides {
  leadId: string;
  eventType?: string;
  channel?: string;
  metadata?: JsonObject;
  occurredAt?: Date | string;
  receivedAt?: Date | string;
  normalized?: boolean;
  normalizedParent?: boolean;
  rawEventId?: string | null;
}

/** Inserts one event row directly, as ingestion would have stored it; returns its id. */
export async function insertEvent(db: Db, ou: Ou, e: EventOverrides): Promise<string> {
  const row = await db
    .insertInto('events')
    .values({
      org_id: ou.orgId,
      unit_id: ou.unitId,
      lead_id: e.leadId,
      event_type: e.eventType ?? 'page_view',
      channel: e.channel ?? 'web',
      metadata: JSON.stringify(e.metadata ?? {}),
      occurred_at: e.occurredAt ?? new Date(),
      ...(e.receivedAt ? { received_at: e.receivedAt } : {}),
      normalized: e.normalized ?? false,
      normalized_parent: e.normalizedParent ?? false,
      raw_event_id: e.rawEventId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A normalized pair as ingestion stores it (semantics §2): the raw row and its canonical row. */
export async function insertNormalizedPair(
  db: Db,
  ou: Ou,
  e: EventOverrides & { canonicalType: string },
): Promise<{ rawId: string; canonicalId: string }> {
  const rawId = await insertEvent(db, ou, { ...e, normalized: true, normalizedParent: false });
  const canonicalId = await insertEvent(db, ou, {
    ...e,
    eventType: e.canonicalType,
    normalized: true,
    normalizedParent: true,
    rawEventId: rawId,
  });
  return { rawId, canonicalId };
}

export async function countEvents(db: Db, ou: Ou): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('unit_id', '=', ou.unitId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
