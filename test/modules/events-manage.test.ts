import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { countEvents, insertEvent, insertLead, insertNormalizedPair } from '../helpers/events-factory.js';
import { addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';

// Rows are inserted directly and read back exactly: the scoring worker must not score them meanwhile.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const RECEIVED = '2025-09-01T00:00:00.000Z';

function get(url: string, headers: Record<string, string>) {
  return ctx.app.inject({ method: 'GET', url, headers });
}

function batchDelete(headers: Record<string, string>, payload: unknown) {
  return ctx.app.inject({ method: 'POST', url: '/events/batch-delete', headers, payload: payload as object });
}

async function viewerOf(admin: Session): Promise<Session> {
  const viewer = await addMember(ctx.app, admin);
  await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
  return viewer;
}

describe('GET /events/export', () => {
  let a: Session;
  let b: Session;
  let first: string;
  let second: string;

  beforeAll(async () => {
    a = await signup(ctx.app);
    b = await signup(ctx.app);
    const db = ctx.database.db;
    const lead = await insertLead(db, a, { id: 'ld_123' });
    first = await insertEvent(db, a, {
      leadId: lead,
      eventType: 'page_view',
      metadata: { utm_campaign: 'fall2025' },
      occurredAt: '2025-08-15T12:00:00Z',
      receivedAt: RECEIVED,
    });
    second = await insertEvent(db, a, {
      leadId: lead,
      eventType: 'form,submit',
      metadata: { note: 'said "hi", left\nearly' },
      occurredAt: '2025-08-15T13:00:00Z',
      receivedAt: RECEIVED,
    });
    await insertEvent(db, b, { leadId: await insertLead(db, b), metadata: { utm_campaign: 'fall2025' } });
  });

  it('streams a CSV attachment, seed columns first, newest first, quoted per RFC 4180', async () => {
    const res = await get('/events/export', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="events.csv"');
    expect(res.body).toBe(
      'id,lead_id,event_type,timestamp,channel,received_at,metadata\r\n' +
        `${second},ld_123,"form,submit",2025-08-15T13:00:00.000Z,web,${RECEIVED},"{""note"":""said \\""hi\\"", left\\nearly""}"\r\n` +
        `${first},ld_123,page_view,2025-08-15T12:00:00.000Z,web,${RECEIVED},"{""utm_campaign"":""fall2025""}"\r\n`,
    );
  });

  it('applies the metadata filters of GET /events', async () => {
    const res = await get('/events/export?metadata=utm_campaign:fall2025', a.headers);
    expect(res.body.trim().split('\r\n').slice(1).map((l) => l.split(',')[0])).toEqual([first]);
    expectError(await get('/events/export?logic=maybe', a.headers), 400, 'validation_failed');
  });

  it('exports only the caller OU rows, both ways, and is open to Viewers', async () => {
    const theirs = (await get('/events/export', b.headers)).body.trim().split('\r\n');
    expect(theirs).toHaveLength(2);
    expect(theirs.join()).not.toContain(first);
    const viewer = await viewerOf(a);
    expect((await get('/events/export', viewer.headers)).body.trim().split('\r\n')).toHaveLength(3);
    const empty = await signup(ctx.app);
    expect((await get('/events/export', empty.headers)).body).toBe('id,lead_id,event_type,timestamp,channel,received_at,metadata\r\n');
  });

  it('pages through more rows than one query reads, with equal and sub-millisecond timestamps, once each', async () => {
    const c = await signup(ctx.app);
    const db = ctx.database.db;
    const lead = await insertLead(db, c);
    // 2,500 rows over three instants that differ by microseconds only: the keyset must not skip or repeat.
    await sql`
      insert into events (org_id, unit_id, lead_id, event_type, channel, occurred_at)
      select ${c.orgId}, ${c.unitId}, ${lead}, 'bulk', 'web',
             timestamptz '2025-08-15 10:00:00.000001+00' + (n % 3) * interval '1 microsecond'
        from generate_series(1, 2500) n
    `.execute(db);
    const lines = (await get('/events/export', c.headers)).body.trim().split('\r\n').slice(1);
    expect(lines).toHaveLength(2500);
    expect(new Set(lines.map((l) => l.split(',')[0])).size).toBe(2500);
  });
});

describe('POST /events/batch-delete', () => {
  let a: Session;
  let b: Session;
  let mine: string[];
  let theirs: string;

  beforeAll(async () => {
    a = await signup(ctx.app);
    b = await signup(ctx.app);
    const db = ctx.database.db;
    const la = await insertLead(db, a);
    mine = [];
    for (let i = 0; i < 4; i += 1) mine.push(await insertEvent(db, a, { leadId: la }));
    theirs = await insertEvent(db, b, { leadId: await insertLead(db, b) });
  });

  it('refuses Viewers (403) and deletes nothing', async () => {
    const viewer = await viewerOf(a);
    expectError(await batchDelete(viewer.headers, { ids: mine }), 403, 'forbidden');
    expect(await countEvents(ctx.database.db, a)).toBe(4);
  });

  it('deletes the OU events named; another organization id and unknown ids are not_found and kept', async () => {
    const unknown = randomUUID();
    const res = await batchDelete(a.headers, { ids: [mine[0], mine[1], mine[1], theirs, unknown] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ deleted: 2, not_found: [theirs, unknown] });
    expect(await countEvents(ctx.database.db, a)).toBe(2);
    expect(await countEvents(ctx.database.db, b)).toBe(1);
  });

  it('cannot delete the first organization events from the second one', async () => {
    const res = await batchDelete(b.headers, { ids: [mine[2]] });
    expect(res.json()).toEqual({ deleted: 0, not_found: [mine[2]] });
    expect(await countEvents(ctx.database.db, a)).toBe(2);
  });

  it('works with an API credential (Operator rights)', async () => {
    const credential = await createCredential(ctx.app, a);
    const res = await batchDelete(credential.headers, { ids: [mine[2]] });
    expect(res.json()).toEqual({ deleted: 1, not_found: [] });
    expect(await countEvents(ctx.database.db, a)).toBe(1);
  });

  it.each([
    [{}, 'body.ids'],
    [{ ids: [] }, 'body.ids'],
    [{ ids: ['not-a-uuid'] }, 'body.ids.0'],
    [{ ids: Array.from({ length: 1001 }, () => randomUUID()) }, 'body.ids'],
    [{ ids: 'x' }, 'body.ids'],
  ])('answers 400 for %j', async (payload, field) => {
    const body = expectError(await batchDelete(a.headers, payload), 400, 'validation_failed');
    expect(body.details?.map((d) => d.field)).toContain(field);
    expect(await countEvents(ctx.database.db, a)).toBe(1);
  });
});

describe('GET /events/stats and GET /events-analytics', () => {
  let a: Session;
  let b: Session;

  beforeAll(async () => {
    a = await signup(ctx.app);
    b = await signup(ctx.app);
    const db = ctx.database.db;
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    const [l1, l2] = [await insertLead(db, a), await insertLead(db, a)];
    await insertEvent(db, a, { leadId: l1, eventType: 'page_view', occurredAt: hoursAgo(1) });
    await insertEvent(db, a, { leadId: l2, eventType: 'page_view', occurredAt: hoursAgo(2) });
    await insertEvent(db, a, { leadId: l1, eventType: 'email_open', occurredAt: hoursAgo(3) });
    // A normalized pair counts once, as its canonical type.
    await insertNormalizedPair(db, a, { leadId: l2, eventType: 'zoom_join', canonicalType: 'webinar_joined', occurredAt: hoursAgo(4) });
    await insertEvent(db, a, { leadId: l1, eventType: 'email_open', occurredAt: hoursAgo(72) });
    await insertEvent(db, a, { leadId: l1, eventType: 'demo_request', occurredAt: hoursAgo(24 * 10) });
    await insertEvent(db, a, { leadId: l1, eventType: 'page_view', occurredAt: hoursAgo(24 * 60) });
    await insertEvent(db, b, { leadId: await insertLead(db, b), eventType: 'other_type', occurredAt: hoursAgo(1) });
  });

  it('stats count canonical events and leads of the last 24 hours, top types by count', async () => {
    const res = await get('/events/stats', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      last_24h: { events: 4, leads: 2 },
      top_events: [
        { event_type: 'page_view', count: 2 },
        { event_type: 'email_open', count: 1 },
        { event_type: 'webinar_joined', count: 1 },
      ],
    });
  });

  it('analytics give totals and per-type counts of canonical events', async () => {
    const res = await get('/events-analytics', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      totals: { events: 7, leads: 2, event_types: 4, last_24h: 4, last_7d: 5, last_30d: 6 },
      by_type: { page_view: 3, email_open: 2, demo_request: 1, webinar_joined: 1 },
    });
  });

  it('each organization sees only its own numbers, and an empty OU sees zeros', async () => {
    expect((await get('/events/stats', b.headers)).json()).toEqual({
      last_24h: { events: 1, leads: 1 },
      top_events: [{ event_type: 'other_type', count: 1 }],
    });
    expect((await get('/events-analytics', b.headers)).json()).toEqual({
      totals: { events: 1, leads: 1, event_types: 1, last_24h: 1, last_7d: 1, last_30d: 1 },
      by_type: { other_type: 1 },
    });
    const empty = await signup(ctx.app);
    expect((await get('/events/stats', empty.headers)).json()).toEqual({ last_24h: { events: 0, leads: 0 }, top_events: [] });
    expect((await get('/events-analytics', empty.headers)).json()).toEqual({
      totals: { events: 0, leads: 0, event_types: 0, last_24h: 0, last_7d: 0, last_30d: 0 },
      by_type: {},
    });
  });

  it('are open to Viewers and API credentials, closed without credentials', async () => {
    const viewer = await viewerOf(a);
    const credential = await createCredential(ctx.app, a);
    for (const url of ['/events/stats', '/events-analytics']) {
      expect((await get(url, viewer.headers)).statusCode).toBe(200);
      expect((await get(url, credential.headers)).statusCode).toBe(200);
      expectError(await get(url, {}), 401, 'unauthorized');
    }
  });
});
