import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../../src/auth/secrets.js';
import { loadConfig } from '../../src/config.js';
import { setupTestApp, TEST_ENV } from '../helpers/app.js';
import { addMember, assign, bearer, expectError, signup, type Session } from '../helpers/factories.js';

// The cost users run (TEST_ENV lowers it for the other files): this file checks it.
const ctx = setupTestApp({ PASSWORD_HASH_COST: 'standard' });

async function login(email: string, password: string): Promise<Record<string, string>> {
  const res = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  expect(res.statusCode, res.body).toBe(200);
  return bearer(res.json().token);
}

const me = (headers: Record<string, string>) => ctx.app.inject({ method: 'GET', url: '/auth/me', headers });
const logout = (headers: Record<string, string>, query = '') =>
  ctx.app.inject({ method: 'POST', url: `/auth/logout${query}`, headers });

async function tokenVersion(memberId: string): Promise<number> {
  const row = await ctx.database.db.selectFrom('members').select('token_version').where('id', '=', memberId).executeTakeFirstOrThrow();
  return row.token_version;
}

describe('POST /auth/logout', () => {
  it('ends the token it was called with; the member’s other sessions go on', async () => {
    const s = await signup(ctx.app);
    const laptop = await login(s.email, s.password);
    const phone = await login(s.email, s.password);
    expect((await logout(laptop)).statusCode).toBe(204);
    expectError(await me(laptop), 401, 'unauthorized');
    expectError(await logout(laptop), 401, 'unauthorized');
    expect((await me(phone)).statusCode).toBe(200);
    expect((await me(s.headers)).statusCode).toBe(200);
    const rows = await ctx.database.db.selectFrom('revoked_sessions').selectAll().where('org_id', '=', s.orgId).execute();
    expect(rows).toHaveLength(1);
    const hoursLeft = (rows[0]!.expires_at.getTime() - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(11.9);
    expect(hoursLeft).toBeLessThanOrEqual(12);
    expect(await tokenVersion(s.memberId)).toBe(0);
  });

  it('ends a session held in the session cookie', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.email, password: s.password } });
    const cookies = { session: res.json().token as string };
    expect((await ctx.app.inject({ method: 'POST', url: '/auth/logout', cookies })).statusCode).toBe(204);
    expectError(await ctx.app.inject({ method: 'GET', url: '/auth/me', cookies }), 401, 'unauthorized');
  });

  it('with everywhere=true ends every token of the member, and a new login works', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    const phone = await login(s.email, s.password);
    expect((await logout(s.headers, '?everywhere=true')).statusCode).toBe(204);
    expectError(await me(s.headers), 401, 'unauthorized');
    expectError(await me(phone), 401, 'unauthorized');
    expect(await tokenVersion(s.memberId)).toBe(1);
    expect((await me(await login(s.email, s.password))).statusCode).toBe(200);
    expect((await me(other.headers)).statusCode).toBe(200);
  });

  it.each(['?everywhere=yes', '?everywhere=1', '?everywhere='])('answers 400 for %s and ends nothing', async (query) => {
    const s = await signup(ctx.app);
    expectError(await logout(s.headers, query), 400, 'validation_failed');
    expect((await me(s.headers)).statusCode).toBe(200);
    expect(await tokenVersion(s.memberId)).toBe(0);
  });

  it('purges the rows of sessions whose token has expired', async () => {
    const s = await signup(ctx.app);
    const stale = randomUUID();
    await ctx.database.db
      .insertInto('revoked_sessions')
      .values({ org_id: s.orgId, session_id: stale, expires_at: new Date(Date.now() - 60_000) })
      .execute();
    expect((await logout(s.headers)).statusCode).toBe(204);
    const ids = await ctx.database.db.selectFrom('revoked_sessions').select('session_id').where('org_id', '=', s.orgId).execute();
    expect(ids).toHaveLength(1);
    expect(ids[0]?.session_id).not.toBe(stale);
  });
});

describe('password change through PUT /org/members/{id}', () => {
  it('ends every token of the member; the new password logs in, the old one no longer does', async () => {
    const admin = await signup(ctx.app);
    const member = await addMember(ctx.app, admin);
    const second = await login(member.email, member.password);
    const put = (payload: object) =>
      ctx.app.inject({ method: 'PUT', url: `/org/members/${member.memberId}`, headers: admin.headers, payload });
    expect((await put({ first_name: 'Renamed' })).statusCode).toBe(200);
    expect((await me(member.headers)).statusCode).toBe(200);
    expect((await put({ password: 'a brand new password' })).statusCode).toBe(200);
    expectError(await me(member.headers), 401, 'unauthorized');
    expectError(await me(second), 401, 'unauthorized');
    expect((await me(admin.headers)).statusCode).toBe(200);
    expectError(await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: member.email, password: member.password } }), 401);
    expect((await me(await login(member.email, 'a brand new password'))).statusCode).toBe(200);
  });
});

describe('password hashes', () => {
  it('hashes new passwords with scrypt at OWASP’s minimum cost', async () => {
    const s = await signup(ctx.app);
    const row = await ctx.database.db.selectFrom('members').select('password_hash').where('id', '=', s.memberId).executeTakeFirstOrThrow();
    const [scheme, n, r, p] = row.password_hash.split('$');
    expect(scheme).toBe('scrypt');
    // The OWASP Password Storage Cheat Sheet's scrypt configurations, all of equal strength.
    const owasp = [[2 ** 17, 8, 1], [2 ** 16, 8, 2], [2 ** 15, 8, 3], [2 ** 14, 8, 5], [2 ** 13, 8, 10]];
    expect(owasp).toContainEqual([Number(n), Number(r), Number(p)]);
    expect(row.password_hash).not.toContain(s.password);
  });

  it('PASSWORD_HASH_COST: standard by default, low on request (test suites), anything else refused', () => {
    const base = { ...TEST_ENV, PASSWORD_HASH_COST: undefined };
    expect(loadConfig(base).passwordHashCost).toBe('standard');
    expect(loadConfig({ ...base, PASSWORD_HASH_COST: 'low' }).passwordHashCost).toBe('low');
    expect(() => loadConfig({ ...base, PASSWORD_HASH_COST: 'none' })).toThrow();
  });

  it('a server at the low cost hashes at N=1024, p=1 and re-hashes a standard hash at login', async () => {
    const low = createPasswordHasher('low');
    expect(await low.hash('pw')).toMatch(/^scrypt\$1024\$8\$1\$/);
    const standard = await createPasswordHasher('standard').hash('pw');
    expect(await low.verify('pw', standard)).toBe(true);
    expect(low.needsRehash(standard)).toBe(true);
    expect(low.needsRehash(await low.hash('pw'))).toBe(false);
  });

  it('still accepts a hash made with the old parameters (N=16384, r=8, p=1) and upgrades it at login', async () => {
    const s = await signup(ctx.app);
    const salt = randomBytes(16);
    const oldHash = ['scrypt', 16384, 8, 1, salt.toString('base64url'), scryptSync(s.password, salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64url')].join('$');
    await ctx.database.db.updateTable('members').set({ password_hash: oldHash }).where('id', '=', s.memberId).execute();
    expectError(await ctx.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.email, password: 'not it at all' } }), 401);
    const stored = async () =>
      (await ctx.database.db.selectFrom('members').select('password_hash').where('id', '=', s.memberId).executeTakeFirstOrThrow()).password_hash;
    expect(await stored()).toBe(oldHash);
    expect((await me(await login(s.email, s.password))).statusCode).toBe(200);
    const upgraded = await stored();
    expect(upgraded).not.toBe(oldHash);
    expect(upgraded).toMatch(/^scrypt\$16384\$8\$5\$/);
    expect((await me(await login(s.email, s.password))).statusCode).toBe(200);
  });
});

describe('a stale or foreign activeOu cookie', () => {
  async function activeCookie(session: Session, unitId: string): Promise<string> {
    const res = await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: session.headers, payload: { ouId: unitId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.cookies.find((c) => c.name === 'activeOu')?.value ?? '';
  }

  async function memberOfTwoUnits() {
    const admin = await signup(ctx.app);
    const second = (await ctx.app.inject({ method: 'POST', url: '/org-units', headers: admin.headers, payload: { name: 'Second' } })).json();
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Operator');
    await assign(ctx.app, admin, second.unit_id, member.memberId, 'Operator');
    return { admin, member, secondUnit: second.unit_id as string };
  }

  it('does not lock a member out of choosing another OU or logging out; OU routes answer 403', async () => {
    const { admin, member, secondUnit } = await memberOfTwoUnits();
    const stale = await activeCookie(member, secondUnit);
    const removed = await ctx.app.inject({ method: 'DELETE', url: `/org-units/${secondUnit}/members/${member.memberId}`, headers: admin.headers });
    expect(removed.statusCode).toBe(204);
    const cookies = { activeOu: stale };
    expectError(await ctx.app.inject({ method: 'GET', url: '/secrets', headers: member.headers, cookies }), 403, 'forbidden');
    const chosen = await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: member.headers, cookies, payload: { ouId: admin.unitId } });
    expect(chosen.statusCode, chosen.body).toBe(200);
    const fresh = { activeOu: chosen.cookies.find((c) => c.name === 'activeOu')?.value ?? '' };
    expect((await ctx.app.inject({ method: 'GET', url: '/secrets', headers: member.headers, cookies: fresh })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/org-units', headers: member.headers, cookies })).statusCode).toBe(200);
    const out = await ctx.app.inject({ method: 'POST', url: '/auth/logout', headers: member.headers, cookies });
    expect(out.statusCode).toBe(204);
    expectError(await me(member.headers), 401);
  });

  it('another organization’s OU cookie is refused on OU routes only', async () => {
    const s = await signup(ctx.app);
    const stranger = await signup(ctx.app);
    const cookies = { activeOu: await activeCookie(stranger, stranger.unitId) };
    expectError(await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, cookies, payload: { name: 'x' } }), 403, 'forbidden');
    expect(await ctx.database.db.selectFrom('api_credentials').select('id').where('org_id', '=', s.orgId).execute()).toEqual([]);
    const chosen = await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: s.headers, cookies, payload: { ouId: s.unitId } });
    expect(chosen.statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/auth/me', headers: s.headers, cookies })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'POST', url: '/auth/logout', headers: s.headers, cookies })).statusCode).toBe(204);
  });

  it('/auth/cleanup stays public and clears the activeOu cookie with the legacy ones', async () => {
    const s = await signup(ctx.app);
    const cookies = { activeOu: await activeCookie(s, s.unitId) };
    const res = await ctx.app.inject({ method: 'POST', url: '/auth/cleanup', cookies });
    expect(res.statusCode).toBe(204);
    const cleared = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    expect(cleared.activeOu?.value).toBe('');
    expect(cleared.activeOu?.expires?.getTime()).toBeLessThan(Date.now());
    expect(cleared.session).toBeUndefined();
  });
});
