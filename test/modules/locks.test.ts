import Fastify, { type LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { lockLeads, lockUnitExclusive } from '../../src/db/locks.js';
import { transactionWithRetry } from '../../src/db/transaction.js';
import { registerErrorHandlers } from '../../src/http/errors.js';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead } from '../helpers/scoring-factory.js';
import { unscored } from '../helpers/events-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const onPostgres = inject('testDb').kind === 'postgres';

async function leadWithEvents(s: Session, n: number): Promise<{ lead: string; events: string[] }> {
  const lead = await insertLead(ctx.database.db, s);
  const at = Date.parse('2025-03-01T10:00:00Z');
  const events = await insertEvents(ctx.database.db, s, lead, Array.from({ length: n }, (_, i) => ({ type: 'page_view', at: new Date(at + i * 1000) })));
  return { lead, events };
}

async function unscoredOf(s: Session, lead?: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from events where unit_id = ${s.unitId} and ${unscored}
    and (${lead ?? null}::text is null or lead_id = ${lead ?? null})`.execute(ctx.database.db);
  return rows[0]?.n ?? 0;
}

/** Runs `during` inside a transaction of another connection (another process) that holds the locks `lock` takes. */
async function whileHolding(lock: (trx: Db) => Promise<void>, during: (trx: Db) => Promise<void>): Promise<void> {
  const other = await ctx.testDb.open();
  try {
    await other.db.transaction().execute(async (trx) => {
      await lock(trx);
      await during(trx);
    });
  } finally {
    await other.close();
  }
}

/** Resolves once some transaction of this database waits for an advisory lock. */
async function untilAdvisoryLockAwaited(): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks
      where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`.execute(ctx.database.db);
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('nothing waited for an advisory lock');
}

describe.skipIf(!onPostgres)('the scoring worker and the lock order (PostgreSQL; PGlite has one connection)', () => {
  it('skips a lead whose lock a delete or rescore holds and scores the others', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const held = await leadWithEvents(s, 3);
    const free = await leadWithEvents(s, 2);
    await whileHolding(
      (trx) => lockLeads(trx, s.unitId, [held.lead]),
      async () => {
        await ctx.app.scoringWorker.runOnce();
        expect(await unscoredOf(s, free.lead)).toBe(0);
        expect(await unscoredOf(s, held.lead)).toBe(3);
      },
    );
    await ctx.app.scoringWorker.drain();
    expect(await unscoredOf(s)).toBe(0);
  });

  it('scores nothing of an OU whose exclusive lock an OU-wide delete holds; other OUs go on', async () => {
    const [s, other] = [await signup(ctx.app), await signup(ctx.app)];
    await leadWithEvents(s, 2);
    await leadWithEvents(other, 2);
    await whileHolding(
      (trx) => lockUnitExclusive(trx, s.unitId),
      async () => {
        await ctx.app.scoringWorker.runOnce();
        expect(await unscoredOf(other)).toBe(0);
        expect(await unscoredOf(s)).toBe(2);
      },
    );
    await ctx.app.scoringWorker.drain();
    expect(await unscoredOf(s)).toBe(0);
  });

  it('runs a delete that PostgreSQL chose as a deadlock victim once more and answers 200', async () => {
    const s = await signup(ctx.app);
    const { lead, events } = await leadWithEvents(s, 2);
    let reply: Promise<LightMyRequestResponse> | undefined;
    await whileHolding(
      async (trx) => {
        // Its own deadlock check comes later than the request's (1 s), so the request is the victim.
        await sql`set local deadlock_timeout = '20s'`.execute(trx);
        await lockLeads(trx, s.unitId, [lead]);
      },
      async (trx) => {
        reply = ctx.app.inject({ method: 'POST', url: '/events/batch-delete', headers: s.headers, payload: { ids: [events[0]] } });
        await untilAdvisoryLockAwaited();
        // The delete holds the OU's lock shared and waits for the lead's; asking for the OU's lock
        // exclusive breaks the lock order on purpose and closes a cycle.
        await lockUnitExclusive(trx, s.unitId);
      },
    );
    const res = await (reply as Promise<LightMyRequestResponse>);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ deleted: 1, not_found: [] });
    expect(await unscoredOf(s, lead)).toBe(1);
  });
});

describe('retrying a transaction that lost a race', () => {
  const raise = (trx: Db, sqlstate: string) => sql`select lv_assert(false, ${sqlstate}, 'lost a race')`.execute(trx);

  it('runs it once more after a deadlock; nothing of the first attempt stays', async () => {
    const s = await signup(ctx.app);
    let attempts = 0;
    const result = await transactionWithRetry(ctx.database.db, async (trx) => {
      attempts += 1;
      await insertLead(trx, s, `attempt-${attempts}`);
      if (attempts === 1) await raise(trx, '40P01');
      return 'done';
    });
    expect({ result, attempts }).toEqual({ result: 'done', attempts: 2 });
    const leads = await ctx.database.db.selectFrom('leads').select('id').where('unit_id', '=', s.unitId).execute();
    expect(leads.map((l) => l.id)).toEqual(['attempt-2']);
  });

  it('gives up after the second serialization failure, and other errors are not retried', async () => {
    let attempts = 0;
    const failing = transactionWithRetry(ctx.database.db, async (trx) => {
      attempts += 1;
      await raise(trx, '40001');
    });
    await expect(failing).rejects.toMatchObject({ code: '40001' });
    expect(attempts).toBe(2);
    attempts = 0;
    await expect(
      transactionWithRetry(ctx.database.db, async (trx) => {
        attempts += 1;
        await raise(trx, '23505');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(attempts).toBe(1);
  });

  it('answers 503 contention with Retry-After, never 500, when the race is lost twice', async () => {
    const app = Fastify();
    registerErrorHandlers(app);
    app.get('/deadlock', async () => {
      throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    });
    const res = await app.inject({ method: 'GET', url: '/deadlock' });
    const body = expectError(res, 503, 'contention');
    expect(res.headers['retry-after']).toBe('1');
    expect(body.message).not.toContain('deadlock');
    await app.close();
  });
});
