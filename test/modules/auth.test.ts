import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TEST_ENV, setupTestApp } from '../helpers/app.js';
import { addMember, bearer, createCredential, expectError, signup, uniqueEmail } from '../helpers/factories.js';
import { handMadeJwt } from '../helpers/jwt.js';

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

describe('POST /auth/login', () => {
  it('returns a token and sets the session and activeOu cookies', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.email.toUpperCase(), password: s.password } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.member).toMatchObject({ org_member_id: s.memberId, email: s.email });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(11.9 * 3600 * 1000);
    const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    expect(cookies.session?.value).toBe(body.token);
    expect(cookies.session?.httpOnly).toBe(true);
    expect(cookies.activeOu?.value).toContain(s.unitId);

    const viaCookie = await ctx.app.inject({ method: 'GET', url: '/auth/me', cookies: { session: body.token } });
    expect(viaCookie.statusCode).toBe(200);
    expect(viaCookie.json().email).toBe(s.email);
  });

  it('answers one generic 401 for a wrong password and for an unknown email', async () => {
    const s = await signup(ctx.app);
    const wrong = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.email, password: 'nope nope nope' } });
    const unknown = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: uniqueEmail(), password: 'nope nope nope' } });
    expect(expectError(wrong, 401, 'unauthorized').message).toBe(expectError(unknown, 401, 'unauthorized').message);
  });

  it('answers 400 for a missing password', async () => {
    expectError(await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'a@b.co' } }), 400, 'validation_failed');
  });
});

describe('tokens and cookies', () => {
  it('refuses a missing, forged, expired, session-less or garbage token with 401', async () => {
    const s = await signup(ctx.app);
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: s.memberId, org: s.orgId, ver: 0, jti: randomUUID() };
    const forged = handMadeJwt({ ...claims, iat: now, exp: now + 600 }, 'not-the-server-secret-at-all!!');
    const expired = handMadeJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, TEST_ENV.JWT_SECRET);
    // Signed before tokens carried a version and a session id: it could never be logged out.
    const sessionless = handMadeJwt({ sub: s.memberId, org: s.orgId, iat: now, exp: now + 600 }, TEST_ENV.JWT_SECRET);
    const otherOrg = handMadeJwt({ ...claims, org: randomUUID(), iat: now, exp: now + 600 }, TEST_ENV.JWT_SECRET);
    const valid = handMadeJwt({ ...claims, iat: now, exp: now + 600 }, TEST_ENV.JWT_SECRET);
    expectError(await ctx.app.inject({ method: 'GET', url: '/auth/me' }), 401, 'unauthorized');
    for (const token of [forged, expired, sessionless, otherOrg, 'garbage']) {
      expectError(await ctx.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) }), 401, 'unauthorized');
    }
    expect((await ctx.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(valid) })).statusCode).toBe(200);
  });

  it('refuses a token whose member was deleted', async () => {
    const admin = await signup(ctx.app);
    const member = await addMember(ctx.app, admin);
    const del = await ctx.app.inject({ method: 'DELETE', url: `/org/members/${member.memberId}`, headers: admin.headers });
    expect(del.statusCode).toBe(204);
    expectError(await ctx.app.inject({ method: 'GET', url: '/auth/me', headers: member.headers }), 401, 'unauthorized');
  });

  it('refuses a tampered activeOu cookie with 403 and changes nothing', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    const login = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.email, password: s.password } });
    const signed = login.cookies.find((c) => c.name === 'activeOu')?.value ?? '';
    const tampered = signed.replace(s.unitId, other.unitId);
    for (const cookie of [tampered, other.unitId, `${s.unitId}.forgedsignature`]) {
      const res = await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, cookies: { activeOu: cookie }, payload: { name: 'x' } });
      expectError(res, 403, 'forbidden');
    }
    const count = await ctx.database.db.selectFrom('api_credentials').select('id').where('unit_id', '=', s.unitId).execute();
    expect(count).toEqual([]);
    const ok = await ctx.app.inject({ method: 'GET', url: '/secrets', headers: s.headers, cookies: { activeOu: signed } });
    expect(ok.statusCode).toBe(200);
  });
});

describe('POST /auth/logout and /auth/cleanup', () => {
  it('logout clears the session and activeOu cookies', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/auth/logout', headers: s.headers });
    expect(res.statusCode).toBe(204);
    const cleared = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    expect(cleared.session?.value).toBe('');
    expect(cleared.activeOu?.value).toBe('');
    expect(cleared.session?.expires?.getTime()).toBeLessThan(Date.now());
  });

  it('logout needs a session', async () => {
    expectError(await ctx.app.inject({ method: 'POST', url: '/auth/logout' }), 401, 'unauthorized');
  });

  it('cleanup clears legacy cookies without authentication', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/auth/cleanup' });
    expect(res.statusCode).toBe(204);
    expect(res.cookies.map((c) => c.name)).toEqual(expect.arrayContaining(['token', 'jwt', 'access_token']));
    expect(res.cookies.every((c) => c.value === '')).toBe(true);
  });
});

describe('GET /auth/me', () => {
  it('is for member sessions: an API credential gets 403', async () => {
    const s = await signup(ctx.app);
    const cred = await createCredential(ctx.app, s);
    expectError(await ctx.app.inject({ method: 'GET', url: '/auth/me', headers: cred.headers }), 403, 'forbidden');
  });
});

describe('signup disabled', () => {
  const closed = setupTestApp({ SIGNUP_ENABLED: 'false' });
  it('answers 403 and creates nothing', async () => {
    const res = await closed.app.inject({
      method: 'POST',
      url: '/auth/signup',
      payload: { organization_name: 'X', first_name: 'A', last_name: 'B', email: uniqueEmail(), password: 'password123' },
    });
    expectError(res, 403, 'signup_disabled');
    expect(await closed.database.db.selectFrom('organizations').select('id').execute()).toEqual([]);
  });
});
