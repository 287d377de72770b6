import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createIngestRepository } from '../../src/modules/ingest/ingest.repository.js';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { importCsv, ouCounts } from '../helpers/uploads.js';

const ctx = setupTestApp();

const event = (messageId: string | undefined, email = 'ada@acme.io', extra: Record<string, unknown> = {}) => ({
  aliases: [{ alias_kind: 'email', raw_value: email }],
  event_type: 'page_view',
  ...(messageId === undefined ? {} : { message_id: messageId }),
  ...extra,
});

function post(session: Session, body: unknown) {
  return ctx.app.inject({ method: 'POST', url: '/events', headers: session.headers, payload: body as object });
}

function batch(session: Session, events: unknown[]) {
  return ctx.app.inject({ method: 'POST', url: '/events/batch', headers: session.headers, payload: { events } });
}



describe('idempotent ingestion with message_id', () => {
  it('answers a repeat with the first event and stores nothing', async () => {
    const s = await signup(ctx.app);
    const first = await post(s, event('m-1'));
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json().metadata).toMatchObject({ lead_created: true, duplicate: false });
    const before = await ouCounts(ctx.database, s.unitId);
    const again = await post(s, event('m-1', 'someone-else@acme.io', { event_type: 'signup' }));
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().metadata).toEqual({ ...first.json().metadata, lead_created: false, duplicate: true });
    expect(await ouCounts(ctx.database, s.unitId)).toEqual(before);
    expect(before).toMatchObject({ events: 1, leads: 1, messages: 1 });
  });

  it('scores a resent event once', async () => {
    const s = await signup(ctx.app);
    const rule = await ctx.app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: { event_type: 'page_view', weight: 7 } });
    expect(rule.statusCode, rule.body).toBe(201);
    const first = await post(s, event('m-score'));
    await ctx.app.scoringWorker.drain();
    await post(s, event('m-score'));
    await post(s, event('m-score'));
    await ctx.app.scoringWorker.drain();
    const leadId = first.json().metadata.lead_id as string;
    const score = await ctx.app.inject({ method: 'GET', url: `/leads/${leadId}/score`, headers: s.headers });
    expect(score.json()).toMatchObject({ score: 7 });
  });

  it('scores imported rows as it scores live events, once each', async () => {
    // The same four events (one a resent message id) into two OUs: imported + live, and all live.
    const scoreOf = async (s: Session, importFirst: boolean) => {
      const rule = await ctx.app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: { event_type: 'page_view', weight: 3 } });
      expect(rule.statusCode, rule.body).toBe(201);
      if (importFirst) {
        const csv = 'event_type,email,message_id\npage_view,imp@acme.io,i-1\npage_view,imp@acme.io,i-2\npage_view,imp@acme.io,i-1\n';
        expect((await importCsv(ctx.app, s, csv)).json()).toMatchObject({ accepted: 3, duplicates: 1 });
      } else {
        for (const id of ['i-1', 'i-2', 'i-1']) await post(s, event(id, 'imp@acme.io'));
      }
      await ctx.app.scoringWorker.drain();
      const live = await post(s, event(undefined, 'imp@acme.io'));
      await ctx.app.scoringWorker.drain();
      const leadId = live.json().metadata.lead_id as string;
      const score = await ctx.app.inject({ method: 'GET', url: `/leads/${leadId}/score`, headers: s.headers });
      return score.json().score as number;
    };
    const imported = await scoreOf(await signup(ctx.app), true);
    expect(imported).toBeGreaterThan(0);
    expect(imported).toBe(await scoreOf(await signup(ctx.app), false));
  });

  it('keeps message ids apart per OU and without one ingests every time', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    expect((await post(a, event('shared'))).json().metadata.duplicate).toBe(false);
    expect((await post(b, event('shared'))).json().metadata.duplicate).toBe(false);
    await post(a, event(undefined));
    await post(a, event(undefined));
    expect(await ouCounts(ctx.database, a.unitId)).toMatchObject({ events: 3, messages: 1 });
    expect(await ouCounts(ctx.database, b.unitId)).toMatchObject({ events: 1, messages: 1 });
  });

  it('answers repeats inside one batch and of stored messages per item, in order', async () => {
    const s = await signup(ctx.app);
    const stored = (await post(s, event('b-0'))).json().metadata;
    const res = await batch(s, [
      event('b-1', 'x@acme.io'),
      event('b-0'),
      event('b-1', 'y@acme.io'),
      { lead_id: 'missing', event_type: 'page_view', message_id: 'b-2' },
      { lead_id: 'missing', event_type: 'page_view', message_id: 'b-2' },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 3, rejected: 2 });
    const [r0, r1, r2, r3, r4] = body.results;
    expect(r0).toMatchObject({ status: 202, duplicate: false, lead_created: true });
    expect(r1).toMatchObject({ status: 202, duplicate: true, event_id: stored.event_id, lead_id: stored.lead_id });
    expect(r2).toMatchObject({ status: 202, duplicate: true, event_id: r0.event_id, lead_id: r0.lead_id, lead_created: false });
    expect(r3).toMatchObject({ status: 404 });
    expect(r4).toMatchObject({ status: 404 });
    expect(await ouCounts(ctx.database, s.unitId)).toMatchObject({ events: 2, messages: 2 });
    // The 404 stored no message: once the lead exists, the same message id is ingested.
    const retry = await post(s, { lead_id: stored.lead_id, event_type: 'page_view', message_id: 'b-2' });
    expect(retry.json().metadata.duplicate).toBe(false);
  });

  it('stores one event when the same message arrives many times at once', async () => {
    const s = await signup(ctx.app);
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? batch(s, [event('race')]) : post(s, event('race')))));
    const ids = answers.map((res) => {
      expect(res.statusCode, res.body).toBe(202);
      const body = res.json();
      return body.metadata?.event_id ?? body.results[0].event_id;
    });
    expect(new Set(ids).size).toBe(1);
    expect(await ouCounts(ctx.database, s.unitId)).toMatchObject({ events: 1, leads: 1, messages: 1 });
  });

  it('reads message_id from a CSV column and counts duplicates when a file is imported again', async () => {
    const s = await signup(ctx.app);
    const csv = 'event_type,email,message_id\npage_view,a@acme.io,r-1\nsignup,b@acme.io,r-2\npage_view,c@acme.io,\n';
    const first = await importCsv(ctx.app, s, csv);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ accepted: 3, duplicates: 0, rejected: 0 });
    const again = await importCsv(ctx.app, s, csv);
    expect(again.json()).toMatchObject({ accepted: 3, duplicates: 2, rejected: 0 });
    // The row without a message id is stored again; the two with one are not.
    expect(await ouCounts(ctx.database, s.unitId)).toMatchObject({ events: 4, messages: 2 });
  });

  it('ingests a repeat older than 7 days as a new event, and the purge forgets old ids', async () => {
    const s = await signup(ctx.app);
    const first = (await post(s, event('old'))).json().metadata;
    await post(s, event('purged'));
    await sql`update ingest_messages set created_at = now() - interval '8 days' where unit_id = ${s.unitId}`.execute(ctx.database.db);
    const again = await post(s, event('old'));
    expect(again.json().metadata).toMatchObject({ duplicate: false, lead_id: first.lead_id });
    expect(again.json().metadata.event_id).not.toBe(first.event_id);
    expect((await post(s, event('old'))).json().metadata).toMatchObject({ duplicate: true, event_id: again.json().metadata.event_id });

    const { rows } = await sql<{ message_id: string }>`select message_id from ingest_messages where unit_id = ${s.unitId} order by 1`.execute(ctx.database.db);
    expect(rows.map((r) => r.message_id)).toEqual(['old', 'purged']);
    expect(await createIngestRepository(ctx.database.db).purgeMessages(1000)).toBeGreaterThanOrEqual(1);
    const left = await sql<{ message_id: string }>`select message_id from ingest_messages where unit_id = ${s.unitId}`.execute(ctx.database.db);
    expect(left.rows.map((r) => r.message_id)).toEqual(['old']);
  });

  it('refuses a bad message_id with 400 and stores nothing', async () => {
    const s = await signup(ctx.app);
    for (const bad of ['', 'x'.repeat(201), 42, 'nul\u0000id']) {
      const res = await post(s, event(undefined, 'ada@acme.io', { message_id: bad }));
      const body = expectError(res, 400, 'validation_failed');
      expect(body.details?.map((d) => d.field)).toContain('body.message_id');
    }
    expect(await ouCounts(ctx.database, s.unitId)).toMatchObject({ events: 0, messages: 0 });
  });
});
