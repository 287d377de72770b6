import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';

// Enforce mode with a request limit far above what the tests send: only the OU's events/s limit bites.
const ctx = setupTestApp({
  RATE_LIMIT_MODE: 'enforce',
  RATE_LIMIT_RPS: '100000',
  RATE_LIMIT_BURST: '100000',
  INGEST_RATE_LIMIT_EPS: '0.02',
  INGEST_RATE_LIMIT_BURST: '3',
});
// A slow refill (one event in 50 s), so a slow machine never sees a token come back mid-test.
const observed = setupTestApp({ RATE_LIMIT_MODE: 'observe', INGEST_RATE_LIMIT_EPS: '0.02', INGEST_RATE_LIMIT_BURST: '3' });

const event = (i: number) => ({ event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: `rl-${i}@example.com` }] });

async function storedEvents(s: Session, app = ctx.app): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/events?limit=500', headers: s.headers });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as unknown[]).length;
}

describe('events per second per OU (INGEST_RATE_LIMIT_EPS)', () => {
  it('answers 429 with Retry-After and the envelope above the OU\'s limit, storing nothing; other OUs go on', async () => {
    const s = await signup(ctx.app);
    const batch = await ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: { events: [event(1), event(2)] } });
    expect(batch.statusCode, batch.body).toBe(202);
    const one = await ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload: event(3) });
    expect(one.statusCode, one.body).toBe(202);
    expect(await storedEvents(s)).toBe(3);

    const refused = await ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload: event(4) });
    expectError(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const refusedBatch = await ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: { events: [event(5), event(6)] } });
    expectError(refusedBatch, 429, 'rate_limited');
    expect(Number(refusedBatch.headers['retry-after'])).toBeGreaterThanOrEqual(2);
    expect(await storedEvents(s)).toBe(3);

    const other = await signup(ctx.app);
    const fine = await ctx.app.inject({ method: 'POST', url: '/events', headers: other.headers, payload: event(7) });
    expect(fine.statusCode, fine.body).toBe(202);
  });

  it('lets a batch larger than the burst through from a full bucket (it can always pass, later)', async () => {
    const s = await signup(ctx.app);
    const events = Array.from({ length: 5 }, (_, i) => event(100 + i));
    const res = await ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: { events } });
    expect(res.statusCode, res.body).toBe(202);
    const next = await ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload: event(200) });
    expectError(next, 429, 'rate_limited');
    expect(await storedEvents(s)).toBe(5);
  });

  it('only counts in observe mode: ingest_rate_limited_total rises, nothing is refused', async () => {
    const s = await signup(observed.app);
    for (let i = 0; i < 5; i++) {
      const res = await observed.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload: event(300 + i) });
      expect(res.statusCode, res.body).toBe(202);
    }
    expect(await storedEvents(s, observed.app)).toBe(5);
    const metrics = (await observed.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^ingest_rate_limited_total\{mode="observe"\} 2$/m);
  });
});
