import { sql, type Expression, type RawBuilder } from 'kysely';
import type { Db } from './database.js';

/**
 * The one lock order of every path that touches a lead's events and scores (docs/concurrency.md):
 *
 *   1. the OU's advisory lock: exclusive for OU-wide rewrites, shared for lead-level operations;
 *   2. the leads' advisory locks, in ascending order of the key actually locked;
 *   3. only then rows (events, event_scores, lead_scores, lead_scoring_state).
 *
 * Waiting for a lock only ever happens in this order, so waits cannot form a cycle. The scoring
 * worker never waits: it try-locks the OU (shared) and each lead and skips what it cannot get, so
 * the rows it writes are never those of a lead another transaction holds. Ingestion and the decay
 * pass take none: they only insert new rows, which no lock holder waits for.
 * Advisory locks use the two-int form, apart from migrate.ts's one-bigint lock.
 */
export const LOCK_CLASS = {
  /** "This lead's events and scores are being changed", held by the worker while it scores the lead. */
  lead: 4_212_004,
  /** "This OU's events and scores are being changed": shared per lead-level operation, exclusive OU-wide. */
  unit: 4_212_005,
} as const;

/**
 * Above this many distinct leads a lead-level operation takes the OU's exclusive lock instead of one
 * lock per lead: every advisory lock held takes a slot of the server's shared lock table
 * (max_locks_per_transaction × connections), which a 1000-lead delete would otherwise drain.
 */
export const MAX_LEAD_LOCKS = 200;

type Text = Expression<string> | string;

const asText = (value: Text) => (typeof value === 'string' ? sql`${value}` : value);

/** The key of an OU's lock (hash collisions only make two OUs share a lock, never break it). */
export function unitLockKey(unitId: Text): RawBuilder<number> {
  return sql<number>`hashtext(${asText(unitId)}::text)`;
}

/** The key of a lead's lock; `leadId` is a text expression. */
export function leadLockKey(unitId: Text, leadId: Text): RawBuilder<number> {
  return sql<number>`hashtext(${asText(unitId)}::text || ':' || ${asText(leadId)})`;
}

/** The OU's lock in shared mode, tried (never waited for), as a condition: the worker's first lock on an OU. */
export function tryLockUnitShared(unitId: Expression<string>): RawBuilder<boolean> {
  return sql<boolean>`pg_try_advisory_xact_lock_shared(${LOCK_CLASS.unit}, ${unitLockKey(unitId)})`;
}

/**
 * The scoring worker's lock on a lead, as a condition: the OU's lock in shared mode, then the lead's,
 * both tried (never waited for). CASE fixes the order: no lead lock without the OU lock.
 */
export function tryLockLeadForScoring(unitId: Expression<string>, leadId: Expression<string>): RawBuilder<boolean> {
  return sql<boolean>`case when pg_try_advisory_xact_lock_shared(${LOCK_CLASS.unit}, ${unitLockKey(unitId)})
    then pg_try_advisory_xact_lock(${LOCK_CLASS.lead}, ${leadLockKey(unitId, leadId)}) else false end`;
}

/** OU-wide rewrites (all events of a type, a ruleset's scores): waits until nobody scores or changes the OU's leads. */
export async function lockUnitExclusive(trx: Db, unitId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_CLASS.unit}, ${unitLockKey(unitId)})`.execute(trx);
}

/**
 * Lead-level operations (delete events by id, rescore some leads; later merge and lead delete):
 * the OU's lock shared, then each lead's lock in ascending key order (lv_lock_leads, migration 0011),
 * or the OU's exclusive lock above MAX_LEAD_LOCKS leads. Call it before touching any of their rows.
 */
export async function lockLeads(trx: Db, unitId: string, leadIds: Iterable<string>): Promise<void> {
  const leads = [...new Set(leadIds)];
  if (leads.length === 0) return;
  if (leads.length > MAX_LEAD_LOCKS) return lockUnitExclusive(trx, unitId);
  await sql`
    select lv_lock_leads(${LOCK_CLASS.unit}, ${unitLockKey(unitId)}, ${LOCK_CLASS.lead},
                         array(select ${leadLockKey(unitId, sql.ref('l.id'))} from unnest(${leads}::text[]) as l(id)))`.execute(trx);
}
