import { randomUUID } from 'node:crypto';
import { sql, type SqlBool } from 'kysely';
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

/**
 * An `events` row the scoring worker has not scored yet: no outcome row (migrations/0071) and no
 * scored_at from ingestion (observe scope). For queries on the unaliased `events` table.
 */
export const unscored = sql<SqlBool>`(events.scored_at is null and not exists (
  select 1 from event_outcomes o where o.org_id = events.org_id and o.event_id = events.id))`;
export const scored = sql<SqlBool>`(not ${unscored})`;

/** An event as readers see it: metadata with the worker's keys, when it was scored, its burst root. */
export async function shownEvent(db: Db, eventId: string): Promise<{ metadata: JsonObject; scored_at: Date | null; burst_root: string | null }> {
  const { rows } = await sql<{ metadata: JsonObject; scored_at: Date | null; burst_root: string | null }>`
    select e.metadata || coalesce(o.patch, '{}'::jsonb) as metadata, coalesce(o.scored_at, e.scored_at) as scored_at, o.burst_root
      from events e left join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id
     where e.id = ${eventId}`.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`no event ${eventId}`);
  return row;
}

/** When the event was scored (by the worker, or at ingestion for observe scope); null while unscored. */
export async function scoredAtOf(db: Db, eventId: string): Promise<Date | null> {
  return (await shownEvent(db, eventId)).scored_at;
}
