import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createUsageRepository, monthKey } from '../../src/modules/usage/usage.repository.js';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { webEvent } from '../helpers/sessions-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

async function usage(s: Session) {
  const res = await ctx.app.inject({ method: 'GET', url: '/usage', headers: s.headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { organization: Record<string, number>; unit: Record<string, number | string> };
}
function post(s: Session, url: string, payload: object) {
  return ctx.app.inject({ method: 'POST', url, headers: s.headers, payload });
}
const rowsOf = async (orgId: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from usage_counters where org_id = ${orgId}`.execute(ctx.database.db)).rows[0]?.n;

describe('GET /usage month-to-date counters', () => {
  it('counts events ingested, leads created and API calls of this month, per organization and OU', async () => {
    const s = await signup(ctx.app); // 1 call, 1 write, without an OU
    // Old timestamps: usage counts when an event was received, not when it happened.
    const batch = [webEvent('u1@example.com', '2024-01-01T00:00:00Z', 'page_view'), webEvent('u2@example.com', '2024-01-02T00:00:00Z', 'page_view'), webEvent('u1@example.com', '2024-01-03T00:00:00Z', 'signup')];
    expect((await post(s, '/events/batch', { events: batch })).statusCode).toBe(202); // 3 events, 2 leads
    const put = await ctx.app.inject({ method: 'PUT', url: '/settings/event-types/visit', headers: s.headers, payload: { canonical_type: 'page_view' } });
    expect(put.statusCode, put.body).toBe(200);
    expect((await post(s, '/events', webEvent('u2@example.com', '2024-01-04T00:00:00Z', 'visit'))).statusCode).toBe(202); // a pair: 1 event
    expect((await ctx.app.inject({ method: 'GET', url: '/events', headers: s.headers })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/nowhere', headers: s.headers })).statusCode).toBe(404); // not authenticated: not counted

    const first = await usage(s);
    expect(first.unit).toMatchObject({ unit_id: s.unitId, events: 4, leads: 2, api_calls: 4, api_write_requests: 3 });
    expect(first.organization).toMatchObject({ members: 1, org_units: 1, api_credentials: 0, events: 4, leads: 2, api_calls: 5, api_write_requests: 4 });
    const second = await usage(s); // the first /usage now counts
    expect([second.unit.api_calls, second.organization.api_calls, second.organization.api_write_requests]).toEqual([5, 6, 4]);
  });

  it('keeps organizations apart', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    expect((await post(a, '/events', webEvent('x@example.com', '2025-01-01T00:00:00Z', 'page_view'))).statusCode).toBe(202);
    expect((await usage(b)).organization).toMatchObject({ events: 0, leads: 0, api_calls: 1, api_write_requests: 1 });
    expect((await usage(a)).organization).toMatchObject({ events: 1, leads: 1, api_calls: 2, api_write_requests: 2 });
  });

  it('compacts the delta rows into one per counter without changing a count', async () => {
    const s = await signup(ctx.app);
    for (let i = 0; i < 3; i += 1) expect((await post(s, '/events', webEvent(`c${i}@example.com`, '2025-01-01T00:00:00Z', 'page_view'))).statusCode).toBe(202);
    const before = await usage(s);
    expect(before.unit).toMatchObject({ events: 3, leads: 3, api_calls: 3 });
    expect(await rowsOf(s.orgId)).toBeGreaterThan(6);
    await createUsageRepository(ctx.database.db).compact(monthKey(new Date()));
    // One row each: org-level calls and writes (signup); the OU's events, leads, calls, writes.
    expect(await rowsOf(s.orgId)).toBe(6);
    const after = await usage(s);
    expect(after.unit).toMatchObject({ events: 3, leads: 3, api_calls: 4, api_write_requests: 3 });
    expect(after.organization).toMatchObject({ events: 3, leads: 3, api_calls: 5, api_write_requests: 4 });
  });
});
