import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { setupTestApp } from '../helpers/app.js';
import { expectError, uniqueEmail, type Session } from '../helpers/factories.js';

type AuditEntry = { method: string; path: string; status: number; user_email: string | null; ip: string | null; unit_id: string | null };

function login(app: FastifyInstance, email: string, password: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/auth/login', remoteAddress, headers, payload: { email, password } });
}

function signupFrom(app: FastifyInstance, remoteAddress: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/auth/signup',
    remoteAddress,
    headers,
    payload: { organization_name: 'Acme', first_name: 'A', last_name: 'B', email: uniqueEmail(), password: 'long enough pw' },
  });
}

let nextAddress = 0;
/** Signs up from an address of its own, so setup spends no test's budget. */
async function signupElsewhere(app: FastifyInstance): Promise<Session> {
  nextAddress += 1;
  const email = uniqueEmail();
  const res = await app.inject({
    method: 'POST',
    url: '/auth/signup',
    remoteAddress: `10.9.${Math.floor(nextAddress / 250)}.${nextAddress % 250}`,
    payload: { organization_name: 'Acme', first_name: 'A', last_name: 'B', email, password: 'long enough pw' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  const headers = { authorization: `Bearer ${body.token}` };
  return { token: body.token, orgId: body.organization.org_id, unitId: body.unit.unit_id, memberId: body.member.org_member_id, email, password: 'long enough pw', headers };
}

async function auditOf(app: FastifyInstance, admin: Session, query: string): Promise<AuditEntry[]> {
  const res = await app.inject({ method: 'GET', url: `/admin/audit-logs${query}`, headers: admin.headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

function expectRateLimited(res: Awaited<ReturnType<typeof login>>, atMostSeconds: number) {
  expectError(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(atMostSeconds);
  return retryAfter;
}

// RATE_LIMIT_MODE off: the auth limits hold whatever it says.
const ctx = setupTestApp({ AUTH_RATE_LIMIT_PER_MIN: '3', RATE_LIMIT_MODE: 'off' });

afterEach(() => {
  vi.useRealTimers();
});

describe('per client address', () => {
  it('allows AUTH_RATE_LIMIT_PER_MIN login and signup attempts a minute, then answers 429 with Retry-After', async () => {
    const from = '192.0.2.10';
    expect((await signupFrom(ctx.app, from)).statusCode).toBe(201);
    expectError(await login(ctx.app, uniqueEmail(), 'wrong password', from), 401, 'unauthorized');
    expectError(await ctx.app.inject({ method: 'POST', url: '/auth/login', remoteAddress: from, payload: {} }), 400);
    const before = await ctx.database.db.selectFrom('organizations').select('id').execute();
    expectRateLimited(await login(ctx.app, uniqueEmail(), 'wrong password', from), 60);
    expectRateLimited(await signupFrom(ctx.app, from), 60);
    expect(await ctx.database.db.selectFrom('organizations').select('id').execute()).toHaveLength(before.length);
    // Another address has its own budget.
    expect((await signupFrom(ctx.app, '192.0.2.11')).statusCode).toBe(201);
  });

  it('ignores X-Forwarded-For by default: a forged header neither escapes the limit nor changes the audited address', async () => {
    const from = '192.0.2.20';
    const s = await signupElsewhere(ctx.app); // from the default inject address
    for (let i = 0; i < 3; i++) {
      const res = await login(ctx.app, s.email, 'wrong password', from, { 'x-forwarded-for': `198.51.100.${i}` });
      expectError(res, 401, 'unauthorized');
    }
    expectRateLimited(await login(ctx.app, s.email, s.password, from, { 'x-forwarded-for': '198.51.100.99' }), 60);
    const failed = await auditOf(ctx.app, s, '?search=/auth/login&status_min=401&status_max=401');
    expect(failed.map((e) => e.ip)).toEqual([from, from, from]);
  });
});

/** `count` failed logins for the email, each from an address of its own, all at once. */
async function failLogins(email: string, count: number, subnet: string) {
  const attempts = Array.from({ length: count }, (_, i) => login(ctx.app, email, `wrong ${i}`, `${subnet}.${i + 1}`));
  for (const res of await Promise.all(attempts)) expectError(res, 401, 'unauthorized');
}

describe('failed logins per email', () => {
  it('lock the email for 15 minutes after 10 failures, even for the right password and from any address', async () => {
    const s = await signupElsewhere(ctx.app);
    const other = await signupElsewhere(ctx.app);
    await failLogins(s.email, 10, '203.0.113');
    const locked = await login(ctx.app, s.email.toUpperCase(), s.password, '203.0.113.50');
    expect(expectRateLimited(locked, 900)).toBeGreaterThan(890);
    expect(locked.cookies).toEqual([]);
    // Other emails are not affected.
    expect((await login(ctx.app, other.email, other.password, '203.0.113.51')).statusCode).toBe(200);
    // Once the window has passed, the right password logs in again.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 15 * 60_000 + 1000);
    expect((await login(ctx.app, s.email, s.password, '203.0.113.52')).statusCode).toBe(200);
  });

  it('are forgotten after a successful login', async () => {
    const s = await signupElsewhere(ctx.app);
    await failLogins(s.email, 9, '203.0.115');
    expect((await login(ctx.app, s.email, s.password, '203.0.115.20')).statusCode).toBe(200);
    expectError(await login(ctx.app, s.email, 'wrong again', '203.0.115.21'), 401);
    // Ten failures in the window, but not since the last success.
    expect((await login(ctx.app, s.email, s.password, '203.0.115.22')).statusCode).toBe(200);
  });

  it('locks unknown emails alike, and a burst of concurrent attempts gets no more than 10 tries', async () => {
    const email = uniqueEmail('nobody');
    const burst = await Promise.all(Array.from({ length: 13 }, (_, i) => login(ctx.app, email, `wrong ${i}`, `203.0.116.${i + 1}`)));
    expect(burst.map((res) => res.statusCode).sort()).toEqual([...Array(10).fill(401), 429, 429, 429]);
    for (const res of burst.filter((r) => r.statusCode === 429)) expectRateLimited(res, 900);
  });

  it("audits each failed login in the member's organization; unknown emails are audited nowhere", async () => {
    const s = await signupElsewhere(ctx.app);
    const nobody = uniqueEmail('nobody');
    expectError(await login(ctx.app, s.email, 'wrong password', '203.0.117.1'), 401);
    expectError(await login(ctx.app, s.email, 'wrong again', '203.0.117.2'), 401);
    expectError(await login(ctx.app, nobody, 'wrong password', '203.0.117.3'), 401);
    const failed = await auditOf(ctx.app, s, '?status_min=401&status_max=401&sort_order=asc');
    expect(failed.map((e) => [e.method, e.path, e.status, e.user_email, e.ip, e.unit_id])).toEqual([
      ['POST', '/auth/login', 401, s.email, '203.0.117.1', null],
      ['POST', '/auth/login', 401, s.email, '203.0.117.2', null],
    ]);
    const anywhere = await ctx.database.db.selectFrom('audit_logs').select('id').where('user_email', '=', nobody).execute();
    expect(anywhere).toEqual([]);
  });
});

describe('TRUST_PROXY naming the proxy', () => {
  const proxied = setupTestApp({ AUTH_RATE_LIMIT_PER_MIN: '3', TRUST_PROXY: '127.0.0.1' });

  it('takes the client address from X-Forwarded-For for the limit and the audit', async () => {
    const s = await signupElsewhere(proxied.app);
    const client = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < 3; i++) expectError(await login(proxied.app, s.email, 'wrong password', '127.0.0.1', client), 401);
    expectRateLimited(await login(proxied.app, s.email, s.password, '127.0.0.1', client), 60);
    const another = await login(proxied.app, s.email, s.password, '127.0.0.1', { 'x-forwarded-for': '198.51.100.8' });
    expect(another.statusCode).toBe(200);
    const failed = await auditOf(proxied.app, s, '?search=/auth/login&status_min=401&status_max=401');
    expect(failed.map((e) => e.ip)).toEqual(['198.51.100.7', '198.51.100.7', '198.51.100.7']);
    // A header from a peer that is not the trusted proxy is ignored.
    const forged = { ...s.headers, 'x-forwarded-for': '198.51.100.9' };
    const direct = await proxied.app.inject({ method: 'POST', url: '/secrets', remoteAddress: '192.0.2.99', headers: forged, payload: { name: 'k' } });
    expect(direct.statusCode).toBe(201);
    expect((await auditOf(proxied.app, s, '?search=/secrets')).map((e) => e.ip)).toEqual(['192.0.2.99']);
  });

  it('refuses an invalid TRUST_PROXY at start', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({}).trustProxy).toBe(false);
  });
});
