import { describe, expect, it } from 'vitest';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { addMember, assign, basic, createCredential, expectError, signup } from '../helpers/factories.js';

const ctx = setupTestApp();

describe('API credentials', () => {
  it('shows the secret once, stores only a hash, and lists without it', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: { name: 'CRM sync' } });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ name: 'CRM sync' });
    expect(created.client_secret.length).toBeGreaterThanOrEqual(40);
    const row = await ctx.database.db.selectFrom('api_credentials').selectAll().where('id', '=', created.secret_id).executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(created.client_secret);
    expect(row.unit_id).toBe(s.unitId);
    const list = await ctx.app.inject({ method: 'GET', url: '/secrets', headers: s.headers });
    expect(list.json()).toEqual([
      { secret_id: created.secret_id, client_id: created.client_id, name: 'CRM sync', created_at: created.created_at, last_used_at: null },
    ]);
    expect(list.body).not.toContain(created.client_secret);
  });

  it('Basic auth acts in the credential OU as Operator and records its use', async () => {
    const s = await signup(ctx.app);
    const cred = await createCredential(ctx.app, s);
    const res = await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: cred.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ enabled: true, mode: 'observe', key_by: 'org', key: `org:${s.orgId}` });
    // The use is recorded off the request path (at most once a minute), so wait for it to land.
    const lastUsed = async () =>
      (await ctx.database.db.selectFrom('api_credentials').select('last_used_at').where('id', '=', cred.id).executeTakeFirstOrThrow()).last_used_at;
    const deadline = Date.now() + 2000;
    while ((await lastUsed()) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await lastUsed()).not.toBeNull();
  });

  it('a deleted credential is refused at once', async () => {
    const s = await signup(ctx.app);
    const cred = await createCredential(ctx.app, s);
    expect((await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: cred.headers })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/secrets/${cred.id}`, headers: s.headers })).statusCode).toBe(204);
    expectError(await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: cred.headers }), 401, 'unauthorized');
    expectError(await ctx.app.inject({ method: 'DELETE', url: `/secrets/${cred.id}`, headers: s.headers }), 404);
  });

  it('a credential deleted through another server process is refused there within milliseconds', async (t) => {
    if (ctx.testDb.kind === 'pglite') t.skip(); // one process only: covered by the test above
    const s = await signup(ctx.app);
    const cred = await createCredential(ctx.app, s);
    const otherDb = await ctx.testDb.open();
    const other = await buildTestApp(otherDb);
    try {
      // Warm the other process's cache, then revoke through this one.
      expect((await other.inject({ method: 'GET', url: '/me/rate-limit', headers: cred.headers })).statusCode).toBe(200);
      expect((await ctx.app.inject({ method: 'DELETE', url: `/secrets/${cred.id}`, headers: s.headers })).statusCode).toBe(204);
      const deadline = Date.now() + 2000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        status = (await other.inject({ method: 'GET', url: '/me/rate-limit', headers: cred.headers })).statusCode;
        if (status === 200) await new Promise((r) => setTimeout(r, 5));
      }
      expect(status).toBe(401);
    } finally {
      await other.close();
      await otherDb.close();
    }
  });

  it('refuses wrong secrets, unknown ids and malformed Basic headers with 401', async () => {
    const s = await signup(ctx.app);
    const created = (await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: { name: 'x' } })).json();
    for (const headers of [
      basic(created.client_id, `${created.client_secret}x`),
      basic('lv_unknown', created.client_secret),
      { authorization: 'Basic !!!' },
      { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
    ]) {
      expectError(await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers }), 401, 'unauthorized');
    }
  });

  it('credential routes need a member session: a Basic credential gets 403', async () => {
    const s = await signup(ctx.app);
    const cred = await createCredential(ctx.app, s);
    expectError(await ctx.app.inject({ method: 'GET', url: '/secrets', headers: cred.headers }), 403);
    expectError(await ctx.app.inject({ method: 'POST', url: '/secrets', headers: cred.headers, payload: { name: 'x' } }), 403);
  });

  it('Viewers cannot list, create or delete credentials', async () => {
    const admin = await signup(ctx.app);
    const cred = await createCredential(ctx.app, admin);
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    expectError(await ctx.app.inject({ method: 'GET', url: '/secrets', headers: viewer.headers }), 403);
    expectError(await ctx.app.inject({ method: 'POST', url: '/secrets', headers: viewer.headers, payload: { name: 'x' } }), 403);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `/secrets/${cred.id}`, headers: viewer.headers }), 403);
    expect(await ctx.database.db.selectFrom('api_credentials').select('id').where('unit_id', '=', admin.unitId).execute()).toHaveLength(1);
  });

  it('another organization cannot list or delete them (both ways)', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    const credA = await createCredential(ctx.app, a);
    const credB = await createCredential(ctx.app, b);
    for (const [caller, target] of [[a, credB], [b, credA]] as const) {
      const list = await ctx.app.inject({ method: 'GET', url: '/secrets', headers: caller.headers });
      expect(list.json().map((c: { secret_id: string }) => c.secret_id)).not.toContain(target.id);
      expectError(await ctx.app.inject({ method: 'DELETE', url: `/secrets/${target.id}`, headers: caller.headers }), 404);
    }
    expect(await ctx.database.db.selectFrom('api_credentials').select('id').where('id', 'in', [credA.id, credB.id]).execute()).toHaveLength(2);
  });

  it.each([[{}], [{ name: '' }], [{ name: 'x'.repeat(51) }], [{ name: 7 }]])('answers 400 for %j and stores nothing', async (payload) => {
    const s = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload }), 400, 'validation_failed');
    expect(await ctx.database.db.selectFrom('api_credentials').select('id').where('unit_id', '=', s.unitId).execute()).toEqual([]);
  });
});
