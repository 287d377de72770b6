import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { enqueueEvents } from '../../src/modules/scoring-worker/scoring-queue.js';
import type { Session } from './factories.js';

/** Inserts a lead straight into the table (ingestion may not exist yet when scoring is tested). */
export async function insertLead(db: Db, s: Pick<Session, 'orgId' | 'unitId'>, id: string = randomUUID()): Promise<string> {
  await db.insertInto('leads').values({ org_id: s.orgId, unit_id: s.unitId, id }).execute();
  return id;
}

export interface EventInput {
  type: string;
  at: string | Date;
  metadata?: Record<string, unknown>;
  channel?: string;
  normalized?: boolean;
  normalizedParent?: boolean;
}

/** Inserts unscored events for a lead in the given order (seq = ingestion order), queued for scoring as ingestion queues them; returns their ids. */
export async function insertEvents(db: Db, s: Pick<Session, 'orgId' | 'unitId'>, leadId: string, events: EventInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of events) {
    const row = await db
      .insertInto('events')
      .values({
        org_id: s.orgId,
        unit_id: s.unitId,
        lead_id: leadId,
        event_type: e.type,
        channel: e.channel ?? 'web',
        metadata: sql`${JSON.stringify(e.metadata ?? {})}::jsonb`,
        occurred_at: typeof e.at === 'string' ? new Date(e.at) : e.at,
        normalized: e.normalized ?? false,
        normalized_parent: e.normalizedParent ?? false,
      })
      .returning(['id', 'org_id', 'unit_id', 'lead_id', 'seq'])
      .executeTakeFirstOrThrow();
    await enqueueEvents(db, [row]);
    ids.push(row.id);
  }
  return ids;
}

/** Creates a scoring rule through the API and returns its id. */
export async function createRule(app: FastifyInstance, s: Session, body: Record<string, unknown>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().rule_id as string;
}

export async function putSurge(app: FastifyInstance, s: Session, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'PUT', url: '/settings/ou/surge-policy', headers: s.headers, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export async function primaryRulesetId(app: FastifyInstance, s: Session): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/rulesets', headers: s.headers });
  expect(res.statusCode, res.body).toBe(200);
  const primary = (res.json() as Array<{ ruleset_id: string; is_primary: boolean }>).find((r) => r.is_primary);
  if (!primary) throw new Error('no primary ruleset');
  return primary.ruleset_id;
}

/** Event-score rows of one event ordered by ruleset creation. */
export function eventScores(db: Db, eventId: string) {
  return db.selectFrom('event_scores').selectAll().where('event_id', '=', eventId).execute();
}

export async function leadTotal(db: Db, unitId: string, leadId: string, rulesetId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('lead_scores')
    .select('total_score')
    .where('unit_id', '=', unitId)
    .where('lead_id', '=', leadId)
    .where('ruleset_id', '=', rulesetId)
    .executeTakeFirst();
  return row?.total_score;
}

/** Deltas of the primary ruleset for the given events, in order. */
export async function deltas(db: Db, rulesetId: string, eventIds: string[]): Promise<number[]> {
  const rows = await db.selectFrom('event_scores').select(['event_id', 'delta']).where('ruleset_id', '=', rulesetId).where('event_id', 'in', eventIds).execute();
  const by = new Map(rows.map((r) => [r.event_id, r.delta]));
  return eventIds.map((id) => by.get(id) ?? Number.NaN);
}
