import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { createJobsRepository } from '../../src/jobs/jobs.repository.js';
import { leadDeleteStep } from '../../src/modules/leads/lead-delete.job.js';
import { buildTestApp, createTestDatabase, setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule } from '../helpers/scoring-factory.js';

const ctx = setupTestApp();

const call = (app: FastifyInstance, s: Session, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

/** Rows of the lead in every table that holds lead rows (score_history is a view over event_scores). */
async function rowsOf(db: Db, s: Session, leadId: string): Promise<Record<string, number>> {
  const tables = ['leads', 'lead_aliases', 'events', 'event_scores', 'score_history', 'lead_scores', 'lead_scoring_state', 'decay_applications', 'ingest_messages'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const column = table === 'leads' ? 'id' : 'lead_id';
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}
      where org_id = ${s.orgId} and unit_id = ${s.unitId} and ${sql.ref(column)} = ${leadId}`.execute(db);
    counts[table] = rows[0]?.n ?? -1;
  }
  return counts;
}

const none = { leads: 0, lead_aliases: 0, events: 0, event_scores: 0, score_history: 0, lead_scores: 0, lead_scoring_state: 0, decay_applications: 0, ingest_messages: 0 };

/** A lead made by ingestion: `n` scored page views with message ids, one email alias. */
async function ingestedLead(app: FastifyInstance, s: Session, email: string, n: number): Promise<string> {
  let leadId = '';
  for (let i = 0; i < n; i++) {
    const payload = { event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: email }], message_id: `${email}-${i}` };
    const res = await call(app, s, 'POST', '/events', payload);
    expect(res.statusCode, res.body).toBe(202);
    leadId = res.json().metadata.lead_id;
  }
  await app.scoringWorker.drain();
  return leadId;
}

describe('DELETE /leads/{id}', () => {
  it('answers 202 queued, then the job removes every row of the lead and nothing of another', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 5 });
    const doomed = await ingestedLead(ctx.app, s, 'doomed@example.com', 3);
    const keeper = await ingestedLead(ctx.app, s, 'keeper@example.com', 2);
    const keeperRows = await rowsOf(ctx.database.db, s, keeper);
    expect((await rowsOf(ctx.database.db, s, doomed)).event_scores).toBeGreaterThan(0);

    const res = await call(ctx.app, s, 'DELETE', `/leads/${doomed}`);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ lead_id: doomed, status: 'queued', status_url: `/leads/${doomed}/deletion-status` });
    expect(res.headers.location).toBe(`/leads/${doomed}/deletion-status`);
    await ctx.app.jobs.drain();

    expect((await call(ctx.app, s, 'GET', `/leads/${doomed}/deletion-status`)).json()).toMatchObject({ status: 'completed' });
    expect(await rowsOf(ctx.database.db, s, doomed)).toEqual(none);
    expect(await rowsOf(ctx.database.db, s, keeper)).toEqual(keeperRows);
    expectError(await call(ctx.app, s, 'GET', `/leads/${doomed}`), 404, 'not_found');

    // Idempotent: a repeat answers the completed status; the message ids are forgotten, so a repeat stores again.
    const again = await call(ctx.app, s, 'DELETE', `/leads/${doomed}`);
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().status).toBe('completed');
    const replay = await call(ctx.app, s, 'POST', '/events', {
      event_type: 'page_view',
      aliases: [{ alias_kind: 'email', raw_value: 'doomed@example.com' }],
      message_id: 'doomed@example.com-0',
    });
    expect(replay.json().metadata).toMatchObject({ lead_created: true });
    expect(replay.json().metadata.duplicate).toBeFalsy();
  });

  it('refuses unknown and malformed ids and Viewers, queuing nothing', async () => {
    const s = await signup(ctx.app);
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    await call(ctx.app, s, 'POST', '/leads', { id: 'kept' });
    expectError(await call(ctx.app, s, 'DELETE', '/leads/nobody'), 404, 'not_found');
    expectError(await call(ctx.app, s, 'DELETE', '/leads/bad%20id'), 400, 'validation_failed');
    expectError(await call(ctx.app, s, 'DELETE', `/leads/${'x'.repeat(129)}`), 400, 'validation_failed');
    expectError(await call(ctx.app, viewer, 'DELETE', '/leads/kept'), 403, 'forbidden');
    expectError(await call(ctx.app, s, 'GET', '/leads/kept/deletion-status'), 404, 'not_found');
    expectError(await call(ctx.app, s, 'GET', '/leads/nobody/deletion-status'), 404, 'not_found');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from jobs where org_id = ${s.orgId}`.execute(ctx.database.db);
    expect(rows[0]?.n).toBe(0);
    expect((await call(ctx.app, s, 'GET', '/leads/kept')).statusCode).toBe(200);
  });
});

describe('lead delete as a durable job', () => {
  const testDb = {} as { db: Awaited<ReturnType<typeof createTestDatabase>> };
  beforeAll(async () => {
    testDb.db = await createTestDatabase();
  });
  const opened: Array<{ close(): Promise<void> }> = [];
  // Every process of a test stops after it, so no runner of one test takes another test's job.
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
  });

  /** A "process": a database handle and an app over it (PostgreSQL: a new pool; PGlite: the shared instance). */
  async function startProcess(env: Record<string, string>) {
    const database = await testDb.db.open();
    const app = await buildTestApp(database, { SCORING_WORKER: 'false', ...env });
    opened.push(database, app);
    return { database, app };
  }

  it('queues one job for repeated deletes while it is open', async () => {
    const { app, database } = await startProcess({ JOBS_WORKER: 'false' });
    const s = await signup(app);
    await call(app, s, 'POST', '/leads', { id: 'twice' });
    const first = (await call(app, s, 'DELETE', '/leads/twice')).json();
    const second = (await call(app, s, 'DELETE', '/leads/twice')).json();
    expect([first.status, second.status]).toEqual(['queued', 'queued']);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from jobs where org_id = ${s.orgId}`.execute(database.db);
    expect(rows[0]?.n).toBe(1);
    expect((await call(app, s, 'GET', '/leads/twice')).statusCode).toBe(200);
    // A process whose runner is on picks it up.
    const other = await startProcess({});
    await other.app.jobs.drain();
    expect((await call(other.app, s, 'GET', '/leads/twice/deletion-status')).json().status).toBe('completed');
  });

  it('survives a crash mid-delete: another process resumes it once the lease expired', async () => {
    const first = await startProcess({ JOBS_WORKER: 'false' });
    const s = await signup(first.app);
    expect((await call(first.app, s, 'POST', '/leads', { id: 'crash-me', metadata: { a: 1 } })).statusCode).toBe(201);
    for (let i = 0; i < 7; i++) {
      const res = await call(first.app, s, 'POST', '/events', { lead_id: 'crash-me', event_type: 'page_view', message_id: `m-${i}` });
      expect(res.statusCode, res.body).toBe(202);
    }
    expect((await call(first.app, s, 'DELETE', '/leads/crash-me')).json().status).toBe('queued');

    // The first process claims the job and commits one step (3 of 7 events), then dies holding the lease.
    const jobs = createJobsRepository(first.database.db);
    const job = await jobs.claim(60);
    expect(job?.subject).toBe('crash-me');
    expect(await leadDeleteStep(3)(first.database.db, job!)).toBe('more');
    expect((await call(first.app, s, 'GET', '/leads/crash-me/deletion-status')).json().status).toBe('running');
    expect((await rowsOf(first.database.db, s, 'crash-me')).events).toBe(4);

    // A restarted process leaves a job under a live lease alone...
    const second = await startProcess({});
    await second.app.jobs.drain();
    expect((await rowsOf(second.database.db, s, 'crash-me')).events).toBe(4);
    // ...and resumes it once the lease has expired (time passing, simulated).
    await sql`update jobs set lease_until = now() - interval '1 second' where org_id = ${s.orgId}`.execute(second.database.db);
    await second.app.jobs.drain();
    expect((await call(second.app, s, 'GET', '/leads/crash-me/deletion-status')).json().status).toBe('completed');
    expect(await rowsOf(second.database.db, s, 'crash-me')).toEqual(none);
    const { rows } = await sql<{ progress: { events_deleted: number }; attempts: number }>`
      select progress, attempts from jobs where org_id = ${s.orgId}`.execute(second.database.db);
    expect(rows).toEqual([{ progress: { events_deleted: 7 }, attempts: 2 }]);
  });

  it('a process stopped cleanly hands its job back at once', async () => {
    const first = await startProcess({ JOBS_WORKER: 'false' });
    const s = await signup(first.app);
    await call(first.app, s, 'POST', '/leads', { id: 'stop-me' });
    await call(first.app, s, 'DELETE', '/leads/stop-me');
    const jobs = createJobsRepository(first.database.db);
    const job = await jobs.claim(60);
    await jobs.release(job!);
    const second = await startProcess({});
    await second.app.jobs.drain();
    expect((await call(second.app, s, 'GET', '/leads/stop-me/deletion-status')).json().status).toBe('completed');
  });
});
