import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { createCredential, expectError, signup } from '../helpers/factories.js';

describe('rate limit, enforce mode keyed by org', () => {
  const ctx = setupTestApp({ RATE_LIMIT_MODE: 'enforce', RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' });

  it('lets a burst through, then answers 429 with Retry-After; other organizations are unaffected', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: a.headers })).statusCode);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    const limited = await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: a.headers });
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const other = await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: b.headers });
    expect(other.statusCode).toBe(200);
    expect(other.json()).toMatchObject({ enabled: true, mode: 'enforce', key_by: 'org', key: `org:${b.orgId}`, rps: 1, burst: 3 });
    const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/rate_limit_exceeded_total\{mode="enforce"\} [1-9]/);
  });
});

describe('rate limit, observe mode keyed by member', () => {
  const ctx = setupTestApp({ RATE_LIMIT_MODE: 'observe', RATE_LIMIT_KEY_BY: 'member', RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '1' });

  it('counts but never blocks, and keys Basic callers by credential', async () => {
    const s = await signup(ctx.app);
    for (let i = 0; i < 4; i++) expect((await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: s.headers })).statusCode).toBe(200);
    const mine = await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: s.headers });
    expect(mine.json()).toMatchObject({ mode: 'observe', key_by: 'member', key: `member:${s.memberId}` });
    const cred = await createCredential(ctx.app, s);
    expect((await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: cred.headers })).json().key).toBe(`credential:${cred.id}`);
    expect((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/rate_limit_exceeded_total\{mode="observe"\} [1-9]/);
  });
});

describe('rate limit off', () => {
  const ctx = setupTestApp({ RATE_LIMIT_MODE: 'off' });
  it('reports disabled', async () => {
    const s = await signup(ctx.app);
    expect((await ctx.app.inject({ method: 'GET', url: '/me/rate-limit', headers: s.headers })).json()).toMatchObject({ enabled: false, mode: 'off' });
  });
  it('refuses anonymous callers', async () => {
    expectError(await ctx.app.inject({ method: 'GET', url: '/me/rate-limit' }), 401);
  });
});
