import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { bearer, expectError, signup, uniqueEmail } from '../helpers/factories.js';

const ctx = setupTestApp();

describe('POST /auth/signup', () => {
  it('creates an organization, its admin and a default OU, and returns a working token', async () => {
    const email = uniqueEmail('Founder').toUpperCase();
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth/signup',
      payload: { organization_name: 'Globex', first_name: 'Gina', last_name: 'Lo', email, password: 'long enough pw' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.member).toMatchObject({ email: email.toLowerCase(), role: 'admin', first_name: 'Gina' });
    expect(body.member).not.toHaveProperty('password');
    expect(body.organization).toMatchObject({ name: 'Globex', slug: 'globex' });
    expect(body.unit).toMatchObject({ name: 'Default', slug: 'default', session_timeout_minutes: 30 });
    expect(res.cookies.map((c) => c.name).sort()).toEqual(['activeOu', 'session']);

    const me = await ctx.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(body.token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      org_member_id: body.member.org_member_id,
      first_name: 'Gina',
      last_name: 'Lo',
      email: email.toLowerCase(),
      role: 'admin',
      verified: true,
    });
  });

  it('refuses a second signup with the same email (409) and creates no organization', async () => {
    const first = await signup(ctx.app);
    const before = await ctx.database.db.selectFrom('organizations').select('id').execute();
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/auth/signup',
      payload: { organization_name: 'Dup', first_name: 'A', last_name: 'B', email: first.email, password: 'password123' },
    });
    expectError(res, 409, 'conflict');
    const after = await ctx.database.db.selectFrom('organizations').select('id').execute();
    expect(after.length).toBe(before.length);
  });

  it.each([
    [{}, 'body.organization_name'],
    [{ organization_name: 'X', first_name: 'A', last_name: 'B', email: 'not-an-email', password: 'password123' }, 'body.email'],
    [{ organization_name: 'X', first_name: 'A', last_name: 'B', email: 'a@b.co', password: 'short' }, 'body.password'],
    [{ organization_name: 12, first_name: 'A', last_name: 'B', email: 'a@b.co', password: 'password123' }, 'body.organization_name'],
  ])('answers 400 naming the bad field for %j', async (payload, field) => {
    const before = await ctx.database.db.selectFrom('members').select('id').execute();
    const res = await ctx.app.inject({ method: 'POST', url: '/auth/signup', payload });
    const body = expectError(res, 400, 'validation_failed');
    expect(body.details?.map((d) => d.field)).toContain(field);
    const after = await ctx.database.db.selectFrom('members').select('id').execute();
    expect(after.length).toBe(before.length);
  });
});
