import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { insertEvent, insertLead, insertNormalizedPair } from '../helpers/events-factory.js';
import { addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';

// Rows are inserted directly and read back exactly: the scoring worker must not score them meanwhile.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const RECEIVED = '2025-09-01T00:00:00.000Z';

function get(url: string, headers: Record<string, string>) {
  return ctx.app.inject({ method: 'GET', url, headers });
}

/** The API form of an event inserted by the factory with RECEIVED as its receive time. */
function apiEvent(e: {
  id: string;
  leadId: string;
  type: string;
  at: string;
  channel?: string;
  metadata?: Record<string, unknown>;
  normalized?: boolean;
  parent?: boolean;
  raw?: string | null;
}) {
  return {
    id: e.id,
    lead_id: e.leadId,
    event_type: e.type,
    channel: e.channel ?? 'web',
    metadata: e.metadata ?? {},
    timestamp: e.at,
    occurred_at: e.at,
    received_at: RECEIVED,
    normalized: e.normalized ?? false,
    normalized_parent: e.parent ?? false,
    raw_event_id: e.raw ?? null,
    scored_at: null,
  };
}

describe('GET /events', () => {
  let a: Session;
  let b: Session;
  let lead: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    a = await signup(ctx.app);
    b = await signup(ctx.app);
    const db = ctx.database.db;
    lead = await insertLead(db, a, { id: 'lead-a' });
    const at = (h: number) => `2025-08-15T${String(h).padStart(2, '0')}:00:00.000Z`;
    ids.view = await insertEvent(db, a, {
      leadId: lead,
      eventType: 'page_view',
      metadata: { utm_campaign: 'fall2025', page: '/pricing' },
      occurredAt: at(10),
      receivedAt: RECEIVED,
    });
    ids.open = await insertEvent(db, a, {
      leadId: lead,
      eventType: 'email_open',
      channel: 'email',
      metadata: { utm_campaign: 'spring', n: 5 },
      occurredAt: at(12),
      receivedAt: RECEIVED,
    });
    ids.click = await insertEvent(db, a, {
      leadId: lead,
      eventType: 'email_click',
      channel: 'email',
      metadata: { utm_campaign: 'fall2025', url: 'a:b' },
      occurredAt: at(11),
      receivedAt: RECEIVED,
    });
    const other = await insertLead(db, b);
    await insertEvent(db, b, { leadId: other, metadata: { utm_campaign: 'fall2025' } });
  });

  const at = (h: number) => `2025-08-15T${h}:00:00.000Z`;

  it('lists the OU events newest first with every field', async () => {
    const res = await get('/events', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([
      apiEvent({
        id: ids.open as string,
        leadId: lead,
        type: 'email_open',
        at: at(12),
        channel: 'email',
        metadata: { utm_campaign: 'spring', n: 5 },
      }),
      apiEvent({
        id: ids.click as string,
        leadId: lead,
        type: 'email_click',
        at: at(11),
        channel: 'email',
        metadata: { utm_campaign: 'fall2025', url: 'a:b' },
      }),
      apiEvent({
        id: ids.view as string,
        leadId: lead,
        type: 'page_view',
        at: at(10),
        metadata: { utm_campaign: 'fall2025', page: '/pricing' },
      }),
    ]);
  });

  it('pages with page and limit', async () => {
    const first = await get('/events?limit=2', a.headers);
    expect(first.json().map((e: { id: string }) => e.id)).toEqual([ids.open, ids.click]);
    const second = await get('/events?limit=2&page=2', a.headers);
    expect(second.json().map((e: { id: string }) => e.id)).toEqual([ids.view]);
    const beyond = await get('/events?limit=2&page=3', a.headers);
    expect(beyond.json()).toEqual([]);
  });

  it('filters by one metadata pair, values compared as text', async () => {
    const one = await get('/events?metadata=utm_campaign:fall2025', a.headers);
    expect(one.json().map((e: { id: string }) => e.id)).toEqual([ids.click, ids.view]);
    const numeric = await get('/events?metadata=n:5', a.headers);
    expect(numeric.json().map((e: { id: string }) => e.id)).toEqual([ids.open]);
    const colonInValue = await get(`/events?metadata=${encodeURIComponent('url:a:b')}`, a.headers);
    expect(colonInValue.json().map((e: { id: string }) => e.id)).toEqual([ids.click]);
  });

  it('combines repeated filters with AND by default and OR on request', async () => {
    const and = await get('/events?metadata=utm_campaign:fall2025&metadata=page:/pricing', a.headers);
    expect(and.json().map((e: { id: string }) => e.id)).toEqual([ids.view]);
    const or = await get('/events?metadata=utm_campaign:spring&metadata=page:/pricing&logic=or', a.headers);
    expect(or.json().map((e: { id: string }) => e.id)).toEqual([ids.open, ids.view]);
    const none = await get('/events?metadata=utm_campaign:nope', a.headers);
    expect(none.json()).toEqual([]);
  });

  it('treats a quote in a filter as data, not SQL', async () => {
    const res = await get(`/events?metadata=${encodeURIComponent("utm_campaign:x' or '1'='1")}`, a.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it.each([
    ['page=0', 'querystring.page'],
    ['limit=0', 'querystring.limit'],
    ['limit=501', 'querystring.limit'],
    ['page=x', 'querystring.page'],
    ['logic=xor', 'querystring.logic'],
    ['metadata=nocolon', 'querystring.metadata.0'],
    ['metadata=:value', 'querystring.metadata.0'],
  ])('answers 400 for %s', async (qs, field) => {
    const body = expectError(await get(`/events?${qs}`, a.headers), 400, 'validation_failed');
    expect(body.details?.map((d) => d.field)).toContain(field);
  });

  it('shows another organization only its own events, and the other way round', async () => {
    const theirs = await get('/events', b.headers);
    expect(theirs.json()).toHaveLength(1);
    expect(theirs.json()[0].id).not.toBe(ids.view);
    const filtered = await get('/events?metadata=utm_campaign:fall2025', b.headers);
    expect(filtered.json()).toHaveLength(1);
    expect((await get('/events', a.headers)).json()).toHaveLength(3);
  });

  it('is open to Viewers and API credentials, closed without credentials', async () => {
    const viewer = await addMember(ctx.app, a);
    await assign(ctx.app, a, a.unitId, viewer.memberId, 'Viewer');
    expect((await get('/events', viewer.headers)).json()).toHaveLength(3);
    const credential = await createCredential(ctx.app, a);
    expect((await get('/events', credential.headers)).json()).toHaveLength(3);
    expectError(await get('/events', {}), 401, 'unauthorized');
  });

  it('lists both rows of a normalized pair with their flags', async () => {
    const c = await signup(ctx.app);
    const l = await insertLead(ctx.database.db, c);
    const pair = await insertNormalizedPair(ctx.database.db, c, {
      leadId: l,
      eventType: 'webinar_joined_zoom',
      canonicalType: 'webinar_joined',
      channel: 'webinar',
      occurredAt: '2025-08-15T09:00:00.000Z',
      receivedAt: RECEIVED,
    });
    const res = await get('/events', c.headers);
    const [at, channel] = ['2025-08-15T09:00:00.000Z', 'webinar'];
    expect(res.json()).toEqual([
      apiEvent({ id: pair.canonicalId, leadId: l, type: 'webinar_joined', at, channel, normalized: true, parent: true, raw: pair.rawId }),
      apiEvent({ id: pair.rawId, leadId: l, type: 'webinar_joined_zoom', at, channel, normalized: true }),
    ]);
  });
});

describe('GET /leads/{leadID}/events', () => {
  let a: Session;
  let b: Session;
  let lead: string;
  let ids: string[];

  beforeAll(async () => {
    a = await signup(ctx.app);
    b = await signup(ctx.app);
    const db = ctx.database.db;
    lead = await insertLead(db, a, { id: 'ld_123' });
    const otherLead = await insertLead(db, a);
    ids = [];
    for (const occurredAt of ['2025-08-15T08:00:00Z', '2025-08-15T09:00:00Z', '2025-08-15T10:00:00Z']) {
      ids.push(await insertEvent(db, a, { leadId: lead, occurredAt, receivedAt: RECEIVED }));
    }
    await insertEvent(db, a, { leadId: otherLead });
    await insertLead(db, b, { id: 'ld_b' });
  });

  it('lists the events of that lead only, newest first', async () => {
    const res = await get('/leads/ld_123/events', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    expect(res.json()[0]).toEqual(apiEvent({ id: ids[2] as string, leadId: lead, type: 'page_view', at: '2025-08-15T10:00:00.000Z' }));
  });

  it('pages with page and limit', async () => {
    const res = await get('/leads/ld_123/events?page=2&limit=2', a.headers);
    expect(res.json().map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expectError(await get('/leads/ld_123/events?limit=501', a.headers), 400, 'validation_failed');
  });

  it('answers 404 for an unknown lead and for a lead of another organization, both ways', async () => {
    expectError(await get('/leads/nobody/events', a.headers), 404, 'not_found');
    expectError(await get('/leads/ld_b/events', a.headers), 404, 'not_found');
    expectError(await get('/leads/ld_123/events', b.headers), 404, 'not_found');
    expect((await get('/leads/ld_b/events', b.headers)).json()).toEqual([]);
  });

  it('answers 400 for a malformed lead id', async () => {
    const body = expectError(await get(`/leads/${encodeURIComponent('bad id!')}/events`, a.headers), 400, 'validation_failed');
    expect(body.details?.map((d) => d.field)).toContain('params.leadID');
  });
});

describe('GET /channels', () => {
  it('lists the distinct channels of the OU, sorted, isolated per organization', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    const db = ctx.database.db;
    const la = await insertLead(db, a);
    const lb = await insertLead(db, b);
    await insertEvent(db, a, { leadId: la, channel: 'web' });
    await insertEvent(db, a, { leadId: la, channel: 'email' });
    await insertEvent(db, a, { leadId: la, channel: 'web' });
    await insertEvent(db, b, { leadId: lb, channel: 'slack' });
    const res = await get('/channels', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(['email', 'web']);
    expect((await get('/channels', b.headers)).json()).toEqual(['slack']);
    const empty = await signup(ctx.app);
    expect((await get('/channels', empty.headers)).json()).toEqual([]);
  });
});

describe('read access', () => {
  it('lets Viewers and API credentials read channels and lead events; refuses no credentials', async () => {
    const a = await signup(ctx.app);
    const lead = await insertLead(ctx.database.db, a, { id: 'ld_v' });
    await insertEvent(ctx.database.db, a, { leadId: lead, channel: 'crm' });
    const viewer = await addMember(ctx.app, a);
    await assign(ctx.app, a, a.unitId, viewer.memberId, 'Viewer');
    const credential = await createCredential(ctx.app, a);
    for (const headers of [viewer.headers, credential.headers]) {
      expect((await get('/channels', headers)).json()).toEqual(['crm']);
      expect((await get('/leads/ld_v/events', headers)).json()).toHaveLength(1);
    }
    expectError(await get('/channels', {}), 401, 'unauthorized');
    expectError(await get('/leads/ld_v/events', {}), 401, 'unauthorized');
  });
});
