import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, expectError, signup, uniqueEmail } from '../helpers/factories.js';

const ctx = setupTestApp();

describe('organization members', () => {
  it('an admin creates, lists, updates and deletes a member; the password is never returned', async () => {
    const admin = await signup(ctx.app);
    const email = uniqueEmail('new');
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/org/members',
      headers: admin.headers,
      payload: { first_name: 'Nia', last_name: 'Ng', email, password: 'a long password', role: 'member' },
    });
    expect(created.statusCode).toBe(201);
    const member = created.json();
    expect(member).toMatchObject({ first_name: 'Nia', last_name: 'Ng', email, role: 'member', verified: false });
    expect(JSON.stringify(member)).not.toContain('password');

    const list = await ctx.app.inject({ method: 'GET', url: '/org/members', headers: admin.headers });
    expect(list.json().map((m: { email: string }) => m.email)).toEqual([admin.email, email]);

    const updated = await ctx.app.inject({
      method: 'PUT',
      url: `/org/members/${member.org_member_id}`,
      headers: admin.headers,
      payload: { last_name: 'Nguyen', role: 'admin' },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ first_name: 'Nia', last_name: 'Nguyen', role: 'admin' });

    const login = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'a long password' } });
    expect(login.statusCode).toBe(200);

    expect((await ctx.app.inject({ method: 'DELETE', url: `/org/members/${member.org_member_id}`, headers: admin.headers })).statusCode).toBe(204);
    expect(await ctx.database.db.selectFrom('members').select('id').where('id', '=', member.org_member_id).execute()).toEqual([]);
  });

  it('changing a password makes the old one fail', async () => {
    const admin = await signup(ctx.app);
    const m = await addMember(ctx.app, admin);
    const res = await ctx.app.inject({ method: 'PUT', url: `/org/members/${m.memberId}`, headers: admin.headers, payload: { password: 'brand new password' } });
    expect(res.statusCode).toBe(200);
    expectError(await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: m.email, password: m.password } }), 401);
    expect((await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: m.email, password: 'brand new password' } })).statusCode).toBe(200);
  });

  it('refuses a duplicate email (409), also across organizations', async () => {
    const admin = await signup(ctx.app);
    const other = await signup(ctx.app);
    for (const email of [admin.email, other.email.toUpperCase()]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/org/members',
        headers: admin.headers,
        payload: { first_name: 'A', last_name: 'B', email, password: 'password123', role: 'member' },
      });
      expectError(res, 409, 'conflict');
    }
    expect(await ctx.database.db.selectFrom('members').select('id').where('org_id', '=', admin.orgId).execute()).toHaveLength(1);
  });

  it('keeps at least one admin (409 on demoting or deleting the last)', async () => {
    const admin = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org/members/${admin.memberId}`, headers: admin.headers, payload: { role: 'member' } }), 409);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `/org/members/${admin.memberId}`, headers: admin.headers }), 409);
    const row = await ctx.database.db.selectFrom('members').select('role').where('id', '=', admin.memberId).executeTakeFirst();
    expect(row?.role).toBe('admin');
  });

  it('non-admins can list but not create, update or delete members', async () => {
    const admin = await signup(ctx.app);
    const m = await addMember(ctx.app, admin);
    expect((await ctx.app.inject({ method: 'GET', url: '/org/members', headers: m.headers })).statusCode).toBe(200);
    const payload = { first_name: 'A', last_name: 'B', email: uniqueEmail(), password: 'password123', role: 'admin' };
    expectError(await ctx.app.inject({ method: 'POST', url: '/org/members', headers: m.headers, payload }), 403);
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org/members/${m.memberId}`, headers: m.headers, payload: { role: 'admin' } }), 403);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `/org/members/${admin.memberId}`, headers: m.headers }), 403);
    const row = await ctx.database.db.selectFrom('members').select('role').where('id', '=', m.memberId).executeTakeFirst();
    expect(row?.role).toBe('member');
  });

  it('another organization never sees or touches these members (404 both ways)', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    for (const [caller, target] of [[a, b], [b, a]] as const) {
      const list = await ctx.app.inject({ method: 'GET', url: '/org/members', headers: caller.headers });
      expect(list.json().map((m: { org_member_id: string }) => m.org_member_id)).toEqual([caller.memberId]);
      expectError(await ctx.app.inject({ method: 'PUT', url: `/org/members/${target.memberId}`, headers: caller.headers, payload: { first_name: 'X' } }), 404);
      expectError(await ctx.app.inject({ method: 'DELETE', url: `/org/members/${target.memberId}`, headers: caller.headers }), 404);
    }
  });

  it.each([
    [{ first_name: 'A', last_name: 'B', email: 'bad', password: 'password123', role: 'member' }, 'body.email'],
    [{ first_name: 'A', last_name: 'B', email: 'x@y.co', password: 'password123', role: 'owner' }, 'body.role'],
    [{ first_name: 'A', email: 'x@y.co', password: 'password123', role: 'member' }, 'body.last_name'],
    [{ first_name: 'A', last_name: 'B', email: 'x@y.co', password: 123, role: 'member' }, 'body.password'],
  ])('POST answers 400 naming the field for %j', async (payload, field) => {
    const admin = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/org/members', headers: admin.headers, payload });
    expect(expectError(res, 400, 'validation_failed').details?.map((d) => d.field)).toContain(field);
    expect(await ctx.database.db.selectFrom('members').select('id').where('org_id', '=', admin.orgId).execute()).toHaveLength(1);
  });

  it('PUT answers 400 for an empty body', async () => {
    const admin = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org/members/${admin.memberId}`, headers: admin.headers, payload: {} }), 400);
  });
});
