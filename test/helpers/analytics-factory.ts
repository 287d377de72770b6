import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import type { Session } from './factories.js';

/** Creates a lead through POST /leads (client-chosen id, metadata, account). */
export async function createLead(app: FastifyInstance, s: Session, id: string, body: { metadata?: Record<string, unknown>; account_id?: string } = {}) {
  const res = await app.inject({ method: 'POST', url: '/leads', headers: s.headers, payload: { id, ...body } });
  expect(res.statusCode, res.body).toBe(201);
  return id;
}

/** Adds an alias to a lead directly (ingestion would; the lead API has no alias write). */
export async function addAlias(db: Db, s: Session, leadId: string, kind: 'email' | 'phone' | 'external_id' | 'cookie' | 'social', value: string) {
  await db.insertInto('lead_aliases').values({ org_id: s.orgId, unit_id: s.unitId, kind, value, lead_id: leadId }).execute();
}

/** Inserts a deal row directly, with a creation time (so "most recent deal" is decided by the test). */
export async function insertDeal(db: Db, s: Session, d: { name: string; stage: string; amount: number; account_id?: string | null; created_at: string }) {
  const row = await db
    .insertInto('deals')
    .values({ org_id: s.orgId, unit_id: s.unitId, name: d.name, stage: d.stage, amount: d.amount, account_id: d.account_id ?? null, created_at: d.created_at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
