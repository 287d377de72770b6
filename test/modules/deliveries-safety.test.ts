import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createDeliveriesRepository } from '../../src/modules/triggers/delivery/deliveries.repository.js';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { setupReceiver } from '../helpers/receiver.js';
import { createRule, insertEvents, insertLead, putSurge } from '../helpers/scoring-factory.js';

const receiver = setupReceiver();
// This file's app guards webhooks (ALLOW_PRIVATE_WEBHOOKS off) and has no SMTP_URL.
const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false', DELIVERY_BACKOFF_BASE_MS: '20' });
const OPEN = { SCORING_WORKER: 'false', DELIVERY_WORKER: 'false', ALLOW_PRIVATE_WEBHOOKS: 'true', DELIVERY_BACKOFF_BASE_MS: '20' };

const call = (app: FastifyInstance, s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function ou(): Promise<Session> {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 50 });
  return s;
}

/** Scores one demo event for each of `n` new leads (firing every milestone of the OU). */
async function fireLeads(app: FastifyInstance, db: Database, s: Session, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await insertEvents(db.db, s, await insertLead(db.db, s), [{ type: 'demo', at: new Date() }]);
  await app.scoringWorker.drain();
}

/** A milestone whose webhook_url is set in the table, as if created while private targets were allowed. */
async function milestoneTo(s: Session, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(ctx.app, s, 'POST', '/milestones', { event_type: 'demo', score_threshold: 50, webhook_url: 'https://hooks.example.com/x', ...extra });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().trigger_id as string;
  await ctx.database.db.updateTable('triggers').set({ webhook_url: url }).where('org_id', '=', s.orgId).where('id', '=', id).execute();
  return id;
}

const deliveries = (db: Database, s: Session) =>
  db.db.selectFrom('deliveries').selectAll().where('org_id', '=', s.orgId).orderBy('created_at').orderBy('id').execute();

describe('private webhook targets (ALLOW_PRIVATE_WEBHOOKS off)', () => {
  it('refuses literal private, loopback and link-local addresses and localhost when the trigger is saved', async () => {
    const s = await ou();
    for (const url of ['http://127.0.0.1/x', 'http://10.1.2.3/x', 'http://192.168.0.1/x', 'http://169.254.169.254/x', 'http://[::1]/x', 'http://[fe80::1]/x', 'http://localhost:8080/x', 'http://api.localhost/x', 'http://0.0.0.0/x']) {
      const body = expectError(await call(ctx.app, s, 'POST', '/milestones', { event_type: 'demo', score_threshold: 1, webhook_url: url }), 400, 'validation_failed');
      expect(body.details?.[0]?.field).toBe('webhook_url');
    }
    expect((await call(ctx.app, s, 'GET', '/milestones')).json()).toEqual([]);
  });

  it('refuses at connect time a stored private target, by literal address and by a name resolving to loopback', async () => {
    const s = await ou();
    await milestoneTo(s, receiver.url('/literal'));
    await milestoneTo(s, `http://localhost:${receiver.port()}/by-name`);
    await fireLeads(ctx.app, ctx.database, s, 1);
    await ctx.app.deliveries.sender.drain();
    expect(receiver.requests.filter((r) => r.path === '/literal' || r.path === '/by-name')).toEqual([]);
    const rows = await deliveries(ctx.database, s);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['failed', 1], ['failed', 1]]);
    for (const r of rows) expect(r.last_error).toMatch(/^refused: the webhook address is private/);
  });

  it('records email deliveries skipped without SMTP_URL', async () => {
    const s = await ou();
    const res = await call(ctx.app, s, 'POST', '/milestones', { event_type: 'demo', score_threshold: 50, emails: ['a@example.com'] });
    expect(res.statusCode, res.body).toBe(201);
    await fireLeads(ctx.app, ctx.database, s, 1);
    await ctx.app.deliveries.sender.drain();
    const [d] = await deliveries(ctx.database, s);
    expect(d).toMatchObject({ kind: 'email', status: 'skipped', last_error: 'SMTP_URL is not configured: email deliveries are skipped' });
  });
});

describe('durability and scale-out', () => {
  it('pending deliveries and a crashed sender\'s leased ones are sent by the next process', async () => {
    const s = await ou();
    await milestoneTo(s, receiver.url('/restart'));
    const first = await ctx.testDb.open();
    const appA = await buildTestApp(first, OPEN);
    await fireLeads(appA, first, s, 3);
    await appA.close();
    await first.close();
    // One of them was in flight when its process died: leased to a token nobody holds, the lease expired.
    const [crashed] = await deliveries(ctx.database, s);
    await ctx.database.db.updateTable('deliveries').set({ status: 'sending', lease_token: randomUUID(), due_at: sql`now() - interval '1 second'`, attempts: 1, total_attempts: 1 })
      .where('org_id', '=', s.orgId).where('id', '=', crashed!.id).execute();
    expect(receiver.requests.filter((r) => r.path === '/restart')).toEqual([]);

    const second = await ctx.testDb.open();
    const appB = await buildTestApp(second, { ...OPEN, DELIVERY_WORKER: 'true', DELIVERY_POLL_MS: '20' });
    await appB.deliveries.sender.drain();
    await appB.close();
    await second.close();
    expect(receiver.requests.filter((r) => r.path === '/restart')).toHaveLength(3);
    const rows = await deliveries(ctx.database, s);
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(rows.find((r) => r.id === crashed!.id)?.total_attempts).toBe(2);
  });

  it('two processes sharing the outbox send each delivery exactly once', async () => {
    const s = await ou();
    await milestoneTo(s, receiver.url('/shared'));
    await fireLeads(ctx.app, ctx.database, s, 12);
    const dbs = [await ctx.testDb.open(), await ctx.testDb.open()];
    const apps = await Promise.all(dbs.map((db) => buildTestApp(db, { ...OPEN, DELIVERY_CONCURRENCY: '2' })));
    await Promise.all(apps.map((app) => app.deliveries.sender.drain()));
    for (const app of apps) await app.close();
    for (const db of dbs) await db.close();
    const ids = receiver.requests.filter((r) => r.path === '/shared').map((r) => r.headers['x-leadvibe-delivery']);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    const attempts = await ctx.database.db.selectFrom('delivery_attempts').select('delivery_id').where('org_id', '=', s.orgId).execute();
    expect(attempts).toHaveLength(12);
  });

  it('claims fairly: an OU with one due delivery is served beside another OU\'s flood', async () => {
    const flood = await ou();
    const quiet = await ou();
    for (let i = 0; i < 3; i++) await milestoneTo(flood, receiver.url('/flood'));
    await milestoneTo(quiet, receiver.url('/quiet'));
    await fireLeads(ctx.app, ctx.database, flood, 10);
    await fireLeads(ctx.app, ctx.database, quiet, 1);
    const repo = createDeliveriesRepository(ctx.database.db);
    // Only these two OUs' rows are open now (earlier tests drained theirs).
    const claimed = await repo.claim({ limit: 4, maxUnits: 256, leaseSeconds: 60, token: randomUUID(), cursor: null });
    expect(claimed).toHaveLength(4);
    expect(claimed.filter((d) => d.unit_id === quiet.unitId)).toHaveLength(1);
    expect(claimed.filter((d) => d.unit_id === flood.unitId)).toHaveLength(3);
  });
});
