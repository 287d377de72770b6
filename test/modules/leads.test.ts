import { describe, expect, it } from 'vitest';
import { prefixUpperBound } from '../../src/modules/leads/leads.repository.js';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });

const call = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function createLead(s: Session, body: Record<string, unknown>) {
  const res = await call(s, 'POST', '/leads', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** The lead as GET /leads/{id} shows it: what a refused request must leave as it was. */
const snapshot = async (s: Session, id: string) => (await call(s, 'GET', `/leads/${encodeURIComponent(id)}`)).body;

async function ingest(s: Session, aliases: Array<{ alias_kind: string; raw_value: string }>) {
  const res = await call(s, 'POST', '/events', { event_type: 'page_view', aliases });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().metadata.lead_id as string;
}

/** An account of the session's OU, inserted directly (accounts are made by the accounts backfill). */
async function makeAccount(s: Session, domain: string): Promise<string> {
  const row = await ctx.database.db
    .insertInto('accounts')
    .values({ org_id: s.orgId, unit_id: s.unitId, domain, name: domain })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('POST /leads', () => {
  it('creates a lead with a client-chosen id, metadata and account', async () => {
    const s = await signup(ctx.app);
    const account = await makeAccount(s, 'ada.example');
    const lead = await createLead(s, { id: 'crm:Ada.L@x_1-2', metadata: { plan: 'Pro' }, account_id: account });
    expect(lead).toMatchObject({
      id: 'crm:Ada.L@x_1-2',
      org_id: s.orgId,
      unit_id: s.unitId,
      account_id: account,
      owner_id: null,
      owner_name: null,
      merged_into: null,
      metadata: { plan: 'Pro' },
    });
    expect(Date.parse(lead.created_at)).not.toBeNaN();
    const got = (await call(s, 'GET', '/leads/crm:Ada.L@x_1-2')).json();
    expect(got).toEqual({ lead, account: { account_id: account, domain: 'ada.example', name: 'ada.example', metadata: {} } });
    // The link is loose text: an id with no account row is kept and shown without details.
    const loose = '7d0c3c5e-55a8-4c3b-9a3e-0d5c1f6c9b11';
    await createLead(s, { id: 'loose', account_id: loose });
    expect((await call(s, 'GET', '/leads/loose')).json().account).toEqual({ account_id: loose, domain: null, name: null, metadata: {} });
  });

  it('answers 409 for an id the OU already has, and leaves the lead as it was', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'dup-1', metadata: { a: 1 } });
    const before = await snapshot(s, 'dup-1');
    expectError(await call(s, 'POST', '/leads', { id: 'dup-1', metadata: { a: 2 } }), 409, 'conflict');
    expect(await snapshot(s, 'dup-1')).toBe(before);
  });

  it('lets two OUs use the same lead id', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    await createLead(a, { id: 'shared-id', metadata: { owner: 'a' } });
    await createLead(b, { id: 'shared-id', metadata: { owner: 'b' } });
    expect((await call(a, 'GET', '/leads/shared-id')).json().lead.metadata).toEqual({ owner: 'a' });
  });

  it.each([
    ['no id', { metadata: {} }, 'body.id'],
    ['an empty id', { id: '' }, 'body.id'],
    ['an id of 129 chars', { id: 'x'.repeat(129) }, 'body.id'],
    ['a space in the id', { id: 'a b' }, 'body.id'],
    ['a slash in the id', { id: 'a/b' }, 'body.id'],
    ['a non-ASCII id', { id: 'lé' }, 'body.id'],
    ['metadata that is an array', { id: 'ok-1', metadata: [1] }, 'body.metadata'],
    ['an account id that is no UUID', { id: 'ok-2', account_id: 'acme' }, 'body.account_id'],
  ])('refuses %s with 400 and creates nothing', async (_name, body, field) => {
    const s = await signup(ctx.app);
    const res = expectError(await call(s, 'POST', '/leads', body), 400, 'validation_failed');
    expect(res.details?.map((d) => d.field)).toContain(field);
    expect((await call(s, 'GET', '/leads')).json().total).toBe(0);
  });

  it('accepts an id of exactly 128 chars and refuses metadata above 100 KB with 413', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'y'.repeat(128) });
    expectError(await call(s, 'POST', '/leads', { id: 'big', metadata: { blob: 'z'.repeat(101 * 1024) } }), 413, 'payload_too_large');
    expectError(await call(s, 'GET', '/leads/big'), 404, 'not_found');
  });

  it('is refused to a Viewer (403) and open to Basic credentials of the OU', async () => {
    const s = await signup(ctx.app);
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expectError(await call(viewer, 'POST', '/leads', { id: 'by-viewer' }), 403);
    const cred = await createCredential(ctx.app, s);
    const res = await ctx.app.inject({ method: 'POST', url: '/leads', headers: cred.headers, payload: { id: 'by-basic' } });
    expect(res.statusCode, res.body).toBe(201);
    expect((await call(viewer, 'GET', '/leads/by-basic')).statusCode).toBe(200);
  });
});

describe('GET /leads/{id}', () => {
  it('shows a lead made by ingestion with a null account, and 404s an unknown or foreign lead', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    const id = await ingest(s, [{ alias_kind: 'email', raw_value: 'ing@example.com' }]);
    const got = (await call(s, 'GET', `/leads/${id}`)).json();
    expect(got).toMatchObject({ lead: { id, metadata: {}, account_id: null }, account: null });
    expectError(await call(s, 'GET', '/leads/nobody'), 404, 'not_found');
    expectError(await call(other, 'GET', `/leads/${id}`), 404, 'not_found');
    expectError(await call(s, 'GET', '/leads/bad%20id'), 400, 'validation_failed');
  });
});

describe('PUT /leads/{id}', () => {
  it('replaces the metadata and keeps the account unless account_id is given', async () => {
    const s = await signup(ctx.app);
    const account = await makeAccount(s, 'put.example');
    await createLead(s, { id: 'put-1', metadata: { a: 1, b: 2 }, account_id: account });
    const replaced = (await call(s, 'PUT', '/leads/put-1', { metadata: { c: 3 } })).json();
    expect(replaced).toMatchObject({ id: 'put-1', metadata: { c: 3 }, account_id: account });
    const unlinked = (await call(s, 'PUT', '/leads/put-1', { metadata: {}, account_id: null })).json();
    expect(unlinked).toMatchObject({ metadata: {}, account_id: null });
    expect(Date.parse(unlinked.updated_at)).toBeGreaterThanOrEqual(Date.parse(replaced.created_at));
    expect((await call(s, 'GET', '/leads/put-1')).json().account).toBeNull();
  });

  it('refuses bad input and unknown leads, changing nothing', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'put-2', metadata: { keep: true } });
    const before = await snapshot(s, 'put-2');
    expectError(await call(s, 'PUT', '/leads/put-2', {}), 400, 'validation_failed');
    expectError(await call(s, 'PUT', '/leads/put-2', { metadata: 'x' }), 400, 'validation_failed');
    expectError(await call(s, 'PUT', '/leads/put-2', { metadata: {}, account_id: 5 }), 400, 'validation_failed');
    expectError(await call(s, 'PUT', '/leads/put-2', { metadata: { blob: 'z'.repeat(101 * 1024) } }), 413, 'payload_too_large');
    expectError(await call(s, 'PUT', '/leads/nobody', { metadata: {} }), 404, 'not_found');
    expect(await snapshot(s, 'put-2')).toBe(before);
  });
});

describe('PATCH /leads/{id}/metadata', () => {
  it('merges shallowly and removes keys set to null', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'patch-1', metadata: { plan: 'Free', nested: { a: 1, b: 2 }, gone: 'x' } });
    const res = await call(s, 'PATCH', '/leads/patch-1/metadata', { plan: 'Pro', industry: 'SaaS', nested: { a: 9 }, gone: null, never: null });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id: 'patch-1',
      org_id: s.orgId,
      unit_id: s.unitId,
      metadata: { plan: 'Pro', industry: 'SaaS', nested: { a: 9 } },
    });
    expect((await call(s, 'GET', '/leads/patch-1')).json().lead.metadata).toEqual({ plan: 'Pro', industry: 'SaaS', nested: { a: 9 } });
    expect((await call(s, 'PATCH', '/leads/patch-1/metadata', {})).json().metadata).toEqual({ plan: 'Pro', industry: 'SaaS', nested: { a: 9 } });
  });

  it('keeps every key of concurrent patches', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'patch-2' });
    await Promise.all(Array.from({ length: 8 }, (_, i) => call(s, 'PATCH', '/leads/patch-2/metadata', { [`k${i}`]: i })));
    expect(Object.keys((await call(s, 'GET', '/leads/patch-2')).json().lead.metadata).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
  });

  it('refuses a non-object body, a result above 100 KB and unknown leads, changing nothing', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'patch-3', metadata: { a: 'z'.repeat(60 * 1024) } });
    const before = await snapshot(s, 'patch-3');
    expectError(await call(s, 'PATCH', '/leads/patch-3/metadata', [1, 2]), 400, 'validation_failed');
    expectError(await call(s, 'PATCH', '/leads/patch-3/metadata', { b: 'z'.repeat(60 * 1024) }), 413, 'payload_too_large');
    expectError(await call(s, 'PATCH', '/leads/nobody/metadata', { a: 1 }), 404, 'not_found');
    expect(await snapshot(s, 'patch-3')).toBe(before);
  });
});

describe('GET /leads/search', () => {
  it('matches id prefixes and alias values, exact id first, at most 10', async () => {
    const s = await signup(ctx.app);
    for (let i = 0; i < 12; i++) await createLead(s, { id: `acme-${String(i).padStart(2, '0')}` });
    await createLead(s, { id: 'acme' });
    const byEmail = await ingest(s, [{ alias_kind: 'email', raw_value: 'Acme.Buyer@Example.com' }]);
    const hits = (await call(s, 'GET', '/leads/search?q=acme')).json();
    expect(hits).toHaveLength(10);
    expect(hits[0]).toMatchObject({ id: 'acme', matched_by: 'id', alias_kind: null, alias_value: null });
    expect(hits.slice(1).map((h: { id: string }) => h.id)).toEqual(Array.from({ length: 9 }, (_, i) => `acme-0${i}`));
    const alias = (await call(s, 'GET', '/leads/search?q=Acme.B')).json();
    expect(alias).toEqual([{ id: byEmail, created_at: expect.any(String), matched_by: 'alias', alias_kind: 'email', alias_value: 'acme.buyer@example.com' }]);
  });

  it('treats LIKE wildcards, backslashes and quotes literally', async () => {
    const s = await signup(ctx.app);
    await createLead(s, { id: 'a_b' });
    await createLead(s, { id: 'axb' });
    await ingest(s, [{ alias_kind: 'external_id', raw_value: "o'brien%\\x" }]);
    expect((await call(s, 'GET', '/leads/search?q=a_')).json().map((h: { id: string }) => h.id)).toEqual(['a_b']);
    expect((await call(s, 'GET', '/leads/search?q=%25%25')).json()).toEqual([]);
    expect((await call(s, 'GET', `/leads/search?q=${encodeURIComponent("o'brien%\\")}`)).json()).toHaveLength(1);
    expect((await call(s, 'GET', `/leads/search?q=${encodeURIComponent("o'brien_")}`)).json()).toEqual([]);
  });

  it('orders in code-point order and matches prefixes at the edges of Unicode literally', async () => {
    const s = await signup(ctx.app);
    for (const id of ['mix-b', 'mix-A', 'mix-a', 'mix-B', 'mixed']) await createLead(s, { id });
    expect((await call(s, 'GET', '/leads/search?q=mix-')).json().map((h: { id: string }) => h.id)).toEqual(['mix-A', 'mix-B', 'mix-a', 'mix-b']);
    const last = String.fromCodePoint(0x10ffff);
    const values = [`ext-${last}`, `ext-${last}z`, `ext-${last}${last}`, 'ext-\u{e000}', 'ext-\u{d7ff}x', 'ext-z'];
    const leadOf = new Map<string, string>();
    for (const v of values) leadOf.set(v, await ingest(s, [{ alias_kind: 'external_id', raw_value: v }]));
    const hitsOf = async (q: string) =>
      ((await call(s, 'GET', `/leads/search?q=${encodeURIComponent(q)}`)).json() as Array<{ id: string; alias_value: string }>)
        .map((h) => h.alias_value)
        .sort();
    expect(await hitsOf(`ext-${last}`)).toEqual([`ext-${last}`, `ext-${last}${last}`, `ext-${last}z`].sort());
    expect(await hitsOf(`ext-${last}${last}`)).toEqual([`ext-${last}${last}`]);
    expect(await hitsOf('ext-\u{d7ff}')).toEqual(['ext-\u{d7ff}x']);
    expect(await hitsOf('ext-')).toHaveLength(6);
  });

  it('finds the upper bound of a prefix by code point', () => {
    const last = String.fromCodePoint(0x10ffff);
    expect(prefixUpperBound('ab')).toBe('ac');
    expect(prefixUpperBound('a\u{d7ff}')).toBe('a\u{e000}');
    expect(prefixUpperBound(`a${last}${last}`)).toBe('b');
    expect(prefixUpperBound(`${last}${last}`)).toBe(last.repeat(1024));
  });

  it('refuses a query shorter than 2 characters and sees only the OU’s leads', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    await createLead(other, { id: 'zz-foreign' });
    expectError(await call(s, 'GET', '/leads/search?q=a'), 400, 'validation_failed');
    expectError(await call(s, 'GET', '/leads/search?q=%20a%20'), 400, 'validation_failed');
    expectError(await call(s, 'GET', '/leads/search'), 400, 'validation_failed');
    expectError(await call(s, 'GET', `/leads/search?q=${'q'.repeat(201)}`), 400, 'validation_failed');
    expect((await call(s, 'GET', '/leads/search?q=zz')).json()).toEqual([]);
  });
});
