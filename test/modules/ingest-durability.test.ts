import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { signup } from '../helpers/factories.js';

// The scoring worker is off so the restart check sees the event as ingestion left it.
const NO_WORKER = { SCORING_WORKER: 'false' };
const ctx = setupTestApp(NO_WORKER);

describe('ingestion under concurrency', () => {
  it('makes exactly one lead when 20 parallel requests carry the same new alias', async () => {
    const s = await signup(ctx.app);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ctx.app.inject({
          method: 'POST',
          url: '/events',
          headers: s.headers,
          payload: { aliases: [{ alias_kind: 'email', raw_value: 'race@r.io' }, { alias_kind: 'cookie', raw_value: `ck-${i}` }], event_type: 'visit' },
        }),
      ),
    );
    for (const res of responses) expect(res.statusCode, res.body).toBe(202);
    const leadIds = new Set(responses.map((r) => r.json().metadata.lead_id as string));
    expect(leadIds.size).toBe(1);
    expect(responses.filter((r) => r.json().metadata.lead_created).length).toBe(1);
    const leads = await ctx.database.db.selectFrom('leads').select('id').where('unit_id', '=', s.unitId).execute();
    expect(leads.map((l) => l.id)).toEqual([...leadIds]);
    const aliases = await ctx.database.db.selectFrom('lead_aliases').select('lead_id').where('unit_id', '=', s.unitId).execute();
    expect(aliases.length).toBe(21);
    expect(new Set(aliases.map((a) => a.lead_id))).toEqual(leadIds);
    const events = await ctx.database.db.selectFrom('events').select('lead_id').where('unit_id', '=', s.unitId).execute();
    expect(events.length).toBe(20);
  });

  it('makes one lead per alias when parallel batches race on the same new aliases', async () => {
    const s = await signup(ctx.app);
    const batch = (offset: number) => ({
      events: Array.from({ length: 50 }, (_, i) => ({
        aliases: [{ alias_kind: 'external_id', raw_value: `ext-${(i + offset) % 50}` }],
        event_type: 'visit',
      })),
    });
    const responses = await Promise.all(
      [0, 7, 13, 29].map((offset) =>
        ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: batch(offset) }),
      ),
    );
    for (const res of responses) expect(res.json().accepted, res.body).toBe(50);
    const leads = await ctx.database.db.selectFrom('leads').select('id').where('unit_id', '=', s.unitId).execute();
    expect(leads.length).toBe(50);
    const events = await ctx.database.db
      .selectFrom('events')
      .innerJoin('lead_aliases', (j) => j.onRef('lead_aliases.unit_id', '=', 'events.unit_id').onRef('lead_aliases.lead_id', '=', 'events.lead_id'))
      .select(['lead_aliases.value'])
      .where('events.unit_id', '=', s.unitId)
      .execute();
    expect(events.length).toBe(200);
  });
});

describe('an alias race lost to another transaction', () => {
  // PGlite has one connection, so no second transaction can hold the alias.
  it.skipIf(inject('testDb').kind === 'pglite')(
    'retries the write and attaches the event to the lead that committed the alias first',
    async () => {
      const s = await signup(ctx.app);
      const other = await ctx.testDb.open();
      try {
        let ingest: Promise<LightMyRequestResponse> | undefined;
        await other.db.transaction().execute(async (trx) => {
          await trx.insertInto('leads').values({ org_id: s.orgId, unit_id: s.unitId, id: 'winner' }).execute();
          await trx
            .insertInto('lead_aliases')
            .values({ org_id: s.orgId, unit_id: s.unitId, kind: 'email', value: 'contested@r.io', lead_id: 'winner' })
            .execute();
          // Our ingest cannot see the uncommitted alias, creates a lead for it and blocks on its key.
          ingest = ctx.app.inject({
            method: 'POST',
            url: '/events',
            headers: s.headers,
            payload: { aliases: [{ alias_kind: 'email', raw_value: 'contested@r.io' }, { alias_kind: 'cookie', raw_value: 'ck-race' }], event_type: 'visit' },
          });
          await waitForLockWaiter(ctx.database);
        });
        const res = await (ingest as Promise<LightMyRequestResponse>);
        expect(res.statusCode, res.body).toBe(202);
        expect(res.json().metadata).toMatchObject({ lead_id: 'winner', lead_created: false });
        const leads = await ctx.database.db.selectFrom('leads').select('id').where('unit_id', '=', s.unitId).execute();
        expect(leads.map((l) => l.id)).toEqual(['winner']);
        const aliases = await ctx.database.db
          .selectFrom('lead_aliases')
          .select(['kind', 'value', 'lead_id'])
          .where('unit_id', '=', s.unitId)
          .orderBy('kind')
          .execute();
        expect(aliases).toEqual([
          { kind: 'cookie', value: 'ck-race', lead_id: 'winner' },
          { kind: 'email', value: 'contested@r.io', lead_id: 'winner' },
        ]);
        const events = await ctx.database.db.selectFrom('events').select('lead_id').where('unit_id', '=', s.unitId).execute();
        expect(events).toEqual([{ lead_id: 'winner' }]);
      } finally {
        await other.close();
      }
    },
  );
});

/** Resolves once some statement of this database waits on a row lock (our ingest, blocked). */
async function waitForLockWaiter(database: typeof ctx.database): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the ingest never blocked on the contested alias');
}

describe('durability', () => {
  it('keeps an acknowledged event, unscored, across an app restart on the same database', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/events',
      headers: s.headers,
      payload: { aliases: [{ alias_kind: 'email', raw_value: 'durable@d.io' }], event_type: 'visit' },
    });
    expect(res.statusCode).toBe(202);
    const { event_id: eventId } = res.json().metadata;
    // "Kill" the process: close the app and its database handle without waiting for any scoring.
    await ctx.app.close();
    await ctx.database.close();

    ctx.database = await ctx.testDb.open();
    // Read before the new app starts, so no scoring worker of the restarted app can race the check.
    const row = await ctx.database.db.selectFrom('events').selectAll().where('id', '=', eventId).executeTakeFirst();
    expect(row).toMatchObject({ unit_id: s.unitId, event_type: 'visit', scored_at: null });
    ctx.app = await buildTestApp(ctx.database, NO_WORKER);
    const aliases = await ctx.app.inject({ method: 'GET', url: `/leads/${row?.lead_id}/aliases`, headers: s.headers });
    expect(aliases.json()).toEqual([{ alias_kind: 'email', value: 'durable@d.io', created_at: expect.any(String) }]);
  });
});
