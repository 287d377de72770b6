import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';
import { ouCounts } from '../helpers/uploads.js';

// The scoring worker is off: these tests look at events as ingestion leaves them (scored_at NULL).
const NO_WORKER = { SCORING_WORKER: 'false' };
const ctx = setupTestApp(NO_WORKER);

type Headers = Pick<Session, 'headers'>;

function ingest(session: Headers, payload: unknown) {
  return ctx.app.inject({ method: 'POST', url: '/events', headers: session.headers, payload: payload as object });
}

async function ingested(session: Headers, payload: Record<string, unknown>) {
  const res = await ingest(session, payload);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().metadata as { event_id: string; lead_id: string; lead_created: boolean };
}

const email = (value: string) => ({ alias_kind: 'email', raw_value: value });

function eventRow(id: string) {
  return ctx.database.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}


async function aliasesOf(session: Headers, leadId: string) {
  const res = await ctx.app.inject({ method: 'GET', url: `/leads/${leadId}/aliases`, headers: session.headers });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as Array<{ alias_kind: string; value: string }>).map((a) => `${a.alias_kind}:${a.value}`).sort();
}

describe('POST /events: identity resolution', () => {
  it('creates a lead from a new alias, answers 202 after the commit and leaves the event unscored', async () => {
    const s = await signup(ctx.app);
    const res = await ingest(s, { aliases: [email('  Ada@Example.COM ')], event_type: 'page_view', metadata: { path: '/pricing' } });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toEqual({ message: 'event ingested', metadata: { event_id: expect.any(String), lead_id: expect.any(String), lead_created: true, duplicate: false } });
    const row = await eventRow(body.metadata.event_id);
    expect(row).toMatchObject({
      org_id: s.orgId,
      unit_id: s.unitId,
      lead_id: body.metadata.lead_id,
      event_type: 'page_view',
      channel: 'web',
      metadata: { path: '/pricing' },
      normalized: false,
      normalized_parent: false,
      raw_event_id: null,
      scored_at: null,
    });
    expect(Math.abs(row.occurred_at.getTime() - row.received_at.getTime())).toBeLessThan(1000);
    expect(await aliasesOf(s, body.metadata.lead_id)).toEqual(['email:ada@example.com']);
  });

  it.each([
    ['email', ' Bob@Example.com ', 'bob@example.com', 'BOB@example.COM'],
    ['phone', '+1 (555) 010-9999', '+15550109999', '+1-555-010-9999'],
    ['external_id', ' crm-42 ', 'crm-42', 'crm-42'],
    ['cookie', ' c00kie ', 'c00kie', 'c00kie  '],
    ['social', ' @bob ', '@bob', '@bob'],
  ])('resolves repeated %s aliases to the same lead after normalizing', async (kind, first, stored, second) => {
    const s = await signup(ctx.app);
    const a = await ingested(s, { aliases: [{ alias_kind: kind, raw_value: first }], event_type: 'visit' });
    const b = await ingested(s, { aliases: [{ alias_kind: kind, raw_value: second }], event_type: 'visit' });
    expect(a.lead_created).toBe(true);
    expect(b).toMatchObject({ lead_id: a.lead_id, lead_created: false });
    expect(await aliasesOf(s, a.lead_id)).toEqual([`${kind}:${stored}`]);
  });

  it('accepts the deprecated top-level alias_kind + alias', async () => {
    const s = await signup(ctx.app);
    const a = await ingested(s, { alias_kind: 'email', alias: 'Old@Style.io', event_type: 'visit' });
    const b = await ingested(s, { aliases: [email('old@style.io')], event_type: 'visit' });
    expect(b.lead_id).toBe(a.lead_id);
  });

  it('ingests by lead_id and attaches the aliases nobody owns', async () => {
    const s = await signup(ctx.app);
    const a = await ingested(s, { aliases: [email('lead@id.io')], event_type: 'visit' });
    const b = await ingested(s, { lead_id: a.lead_id, aliases: [{ alias_kind: 'cookie', raw_value: 'ck1' }], event_type: 'visit' });
    expect(b).toMatchObject({ lead_id: a.lead_id, lead_created: false });
    expect(await aliasesOf(s, a.lead_id)).toEqual(['cookie:ck1', 'email:lead@id.io']);
  });

  it('picks the first matching alias in request order and attaches the others unless owned', async () => {
    const s = await signup(ctx.app);
    const x = await ingested(s, { aliases: [email('x@a.io')], event_type: 'visit' });
    const y = await ingested(s, { aliases: [email('y@a.io')], event_type: 'visit' });
    const r = await ingested(s, {
      aliases: [{ alias_kind: 'cookie', raw_value: 'new-cookie' }, email('y@a.io'), email('x@a.io')],
      event_type: 'visit',
    });
    expect(r).toMatchObject({ lead_id: y.lead_id, lead_created: false });
    expect(await aliasesOf(s, y.lead_id)).toEqual(['cookie:new-cookie', 'email:y@a.io']);
    expect(await aliasesOf(s, x.lead_id)).toEqual(['email:x@a.io']);
  });

  it('follows merged leads to the surviving lead', async () => {
    const s = await signup(ctx.app);
    const loser = await ingested(s, { aliases: [email('loser@m.io')], event_type: 'visit' });
    const survivor = await ingested(s, { aliases: [email('survivor@m.io')], event_type: 'visit' });
    await ctx.database.db
      .updateTable('leads')
      .set({ merged_into: survivor.lead_id })
      .where('unit_id', '=', s.unitId)
      .where('id', '=', loser.lead_id)
      .execute();
    const byAlias = await ingested(s, { aliases: [email('loser@m.io')], event_type: 'visit' });
    expect(byAlias).toMatchObject({ lead_id: survivor.lead_id, lead_created: false });
    const byId = await ingested(s, { lead_id: loser.lead_id, event_type: 'visit' });
    expect(byId.lead_id).toBe(survivor.lead_id);
    expect((await eventRow(byId.event_id)).lead_id).toBe(survivor.lead_id);
  });

  it('accepts Basic API credentials (Operator rights in their OU)', async () => {
    const s = await signup(ctx.app);
    const credential = await createCredential(ctx.app, s);
    const r = await ingested(credential, { aliases: [email('basic@c.io')], event_type: 'visit' });
    expect((await eventRow(r.event_id)).unit_id).toBe(s.unitId);
  });
});

describe('POST /events: event fields', () => {
  it('stores the given timestamp as occurred_at and the receive time as received_at', async () => {
    const s = await signup(ctx.app);
    const r = await ingested(s, { aliases: [email('t@t.io')], event_type: 'visit', timestamp: '2025-08-15T14:00:00+02:00' });
    const row = await eventRow(r.event_id);
    expect(row.occurred_at.toISOString()).toBe('2025-08-15T12:00:00.000Z');
    expect(Date.now() - row.received_at.getTime()).toBeLessThan(60_000);
  });

  it.each([
    ['email_open', {}, 'email'],
    ['slack_message', {}, 'slack'],
    ['webinar_join', {}, 'webinar'],
    ['crm_update', {}, 'crm'],
    ['deal_won', {}, 'crm'],
    ['page_view', {}, 'web'],
    ['page_view', { channel: 'slack' }, 'slack'],
    ['email_open', { channel: 'carrier-pigeon' }, 'email'],
  ])('derives the channel of %s with metadata %j as %s', async (eventType, metadata, channel) => {
    const s = await signup(ctx.app);
    const r = await ingested(s, { aliases: [email('c@c.io')], event_type: eventType, metadata });
    const row = await eventRow(r.event_id);
    expect(row.channel).toBe(channel);
  });

  it('stores a normalized pair when the type has a canonical_type and returns the canonical row', async () => {
    const s = await signup(ctx.app);
    await ctx.database.db
      .insertInto('event_type_settings')
      .values({ org_id: s.orgId, unit_id: s.unitId, event_type: 'pageview', canonical_type: 'page_view' })
      .execute();
    const r = await ingested(s, { aliases: [email('n@n.io')], event_type: 'pageview', metadata: { a: 1 } });
    const canonical = await eventRow(r.event_id);
    expect(canonical).toMatchObject({ event_type: 'page_view', normalized: true, normalized_parent: true, scored_at: null });
    const raw = await eventRow(canonical.raw_event_id as string);
    expect(raw).toMatchObject({ event_type: 'pageview', normalized: true, normalized_parent: false, lead_id: r.lead_id });
    expect(raw.scored_at).not.toBeNull();
    expect(raw.seq).toBeLessThan(canonical.seq);
  });

  it('stores events of an observe-only type as never to be scored', async () => {
    const s = await signup(ctx.app);
    await ctx.database.db
      .insertInto('event_type_settings')
      .values({ org_id: s.orgId, unit_id: s.unitId, event_type: 'heartbeat', max_processing_scope: 'observe' })
      .execute();
    const r = await ingested(s, { aliases: [email('o@o.io')], event_type: 'heartbeat' });
    expect((await eventRow(r.event_id)).scored_at).not.toBeNull();
  });
});

describe('POST /events: bad input stores nothing', () => {
  const big = 'x'.repeat(101 * 1024);
  it.each([
    ['no identity', { event_type: 'visit' }, 400, 'validation_failed'],
    ['an unknown alias kind', { aliases: [{ alias_kind: 'fax', raw_value: '1' }], event_type: 'visit' }, 400, 'validation_failed'],
    ['an empty event_type', { aliases: [email('e@e.io')], event_type: '' }, 400, 'validation_failed'],
    ['a 129-char event_type', { aliases: [email('e@e.io')], event_type: 'x'.repeat(129) }, 400, 'validation_failed'],
    ['a bad timestamp', { aliases: [email('e@e.io')], event_type: 'v', timestamp: '15/08/2025' }, 400, 'validation_failed'],
    ['metadata over 100 KB', { aliases: [email('e@e.io')], event_type: 'v', metadata: { big } }, 413, 'payload_too_large'],
    ['array metadata', { aliases: [email('e@e.io')], event_type: 'v', metadata: [1, 2] }, 400, 'validation_failed'],
    ['string metadata', { aliases: [email('e@e.io')], event_type: 'v', metadata: 'text' }, 400, 'validation_failed'],
    ['an empty aliases array', { aliases: [], event_type: 'v' }, 400, 'validation_failed'],
    ['21 aliases', { aliases: Array.from({ length: 21 }, (_, i) => email(`${i}@a.io`)), event_type: 'v' }, 400, 'validation_failed'],
    ['a 513-char alias', { aliases: [{ alias_kind: 'cookie', raw_value: 'c'.repeat(513) }], event_type: 'v' }, 400, 'validation_failed'],
    ['an alias empty after normalizing', { aliases: [{ alias_kind: 'phone', raw_value: 'call me' }], event_type: 'v' }, 400, 'validation_failed'],
    ['alias_kind without alias', { alias_kind: 'email', event_type: 'v' }, 400, 'validation_failed'],
  ])('answers the error envelope for %s', async (_name, payload, status, code) => {
    const s = await signup(ctx.app);
    const res = await ingest(s, payload);
    expectError(res, status, code);
    expect(await ouCounts(ctx.database, s.unitId)).toEqual({ events: 0, leads: 0, aliases: 0, messages: 0 });
  });

  it('answers 404 for a lead_id that does not exist in the OU', async () => {
    const s = await signup(ctx.app);
    expectError(await ingest(s, { lead_id: 'nobody', event_type: 'visit' }), 404, 'not_found');
    expect(await ouCounts(ctx.database, s.unitId)).toEqual({ events: 0, leads: 0, aliases: 0, messages: 0 });
  });
});

describe('POST /events: access and tenancy', () => {
  it('never resolves into another OU: a lead of OU A is a 404 for OU B', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    const leadA = await ingested(a, { aliases: [email('shared@t.io')], event_type: 'visit' });
    expectError(await ingest(b, { lead_id: leadA.lead_id, event_type: 'visit' }), 404, 'not_found');
    const leadB = await ingested(b, { aliases: [email('shared@t.io')], event_type: 'visit' });
    expect(leadB.lead_id).not.toBe(leadA.lead_id);
    expect(leadB.lead_created).toBe(true);
    const res = await ctx.app.inject({ method: 'GET', url: `/leads/${leadA.lead_id}/aliases`, headers: b.headers });
    expectError(res, 404, 'not_found');
  });

  it('refuses a Viewer (403) and an anonymous caller (401)', async () => {
    const admin = await signup(ctx.app);
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    expectError(await ingest(viewer, { aliases: [email('v@v.io')], event_type: 'visit' }), 403, 'forbidden');
    expectError(await ingest({ headers: {} }, { aliases: [email('v@v.io')], event_type: 'visit' }), 401, 'unauthorized');
    expect(await ouCounts(ctx.database, admin.unitId)).toEqual({ events: 0, leads: 0, aliases: 0, messages: 0 });
    const lead = await ingested(admin, { aliases: [email('v@v.io')], event_type: 'visit' });
    expect(await aliasesOf(viewer, lead.lead_id)).toEqual(['email:v@v.io']);
  });
});

describe('metrics', () => {
  const value = (body: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(body)?.[1]);
  const scrape = async () => (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;

  it('counts accepted events and reports unscored events as queue_depth', async () => {
    const s = await signup(ctx.app);
    await ingested(s, { aliases: [email('m@m.io')], event_type: 'visit' });
    // This process runs no worker loop (SCORING_WORKER=false): the gauge is set when asked.
    await ctx.app.scoringWorker.refreshQueueDepth();
    const body = await scrape();
    expect(body).toContain('# HELP events_ingested_total Total number of events ingested (accepted).');
    expect(body).toContain('# HELP queue_depth Current depth of the async processing queue.');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from events where scored_at is null`.execute(ctx.database.db);
    expect(value(body, 'events_ingested_total')).toBeGreaterThanOrEqual(1);
    expect(value(body, 'queue_depth')).toBe(rows[0]?.n);
  });

  it('does not count the queue at scrape time: queue_depth moves when the worker refreshes it', async () => {
    const s = await signup(ctx.app);
    await ctx.app.scoringWorker.refreshQueueDepth();
    const before = value(await scrape(), 'queue_depth');
    await ingested(s, { aliases: [email('q1@m.io')], event_type: 'visit' });
    await ingested(s, { aliases: [email('q2@m.io')], event_type: 'visit' });
    expect(value(await scrape(), 'queue_depth')).toBe(before);
    await ctx.app.scoringWorker.refreshQueueDepth();
    expect(value(await scrape(), 'queue_depth')).toBe(before + 2);
  });
});
