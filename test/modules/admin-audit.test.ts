import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, createCredential, expectError, signup } from '../helpers/factories.js';

const ctx = setupTestApp();

type Entry = { method: string; path: string; status: number; user_email: string | null; unit_id: string | null; latency_ms: number };

async function auditOf(headers: Record<string, string>, query = '') {
  const res = await ctx.app.inject({ method: 'GET', url: `/admin/audit-logs${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Entry[]; limit: number; offset: number };
}

describe('GET /admin/audit-logs', () => {
  it('records every mutating request of the OU with status, latency, email and ip — never secrets', async () => {
    const s = await signup(ctx.app, { password: 'sup3r-secret-passw0rd' });
    const secret = (await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: { name: 'k' } })).json();
    await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: { name: '' } });
    await ctx.app.inject({ method: 'GET', url: '/secrets', headers: s.headers });
    const log = await auditOf(s.headers);
    expect(log).toMatchObject({ limit: 100, offset: 0 });
    const mine = log.items.filter((e) => e.unit_id === s.unitId);
    expect(mine.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/secrets', 400],
      ['POST', '/secrets', 201],
    ]);
    expect(mine.every((e) => e.user_email === s.email && e.latency_ms >= 0)).toBe(true);
    const everything = await sql<{ dump: string }>`select coalesce(string_agg(a::text, ' '), '') as dump from audit_logs a`.execute(ctx.database.db);
    const dump = everything.rows[0]?.dump ?? '';
    expect(dump).toContain('/auth/signup');
    expect(dump).not.toContain('sup3r-secret-passw0rd');
    expect(dump).not.toContain(secret.client_secret);
  });

  it('keeps a buffered row whose OU was deleted meanwhile at organization level; an organization takes its rows with it', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    const count = async (orgId: string) =>
      (await sql<{ all: number; org_level: number }>`
        select count(*)::int as all, count(*) filter (where unit_id is null)::int as org_level from audit_logs where org_id = ${orgId}`.execute(ctx.database.db)).rows[0];
    await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: { name: 'k' } });
    await ctx.app.inject({ method: 'POST', url: '/secrets', headers: other.headers, payload: { name: 'k' } });
    const before = await count(s.orgId);
    // The OU goes while its request's row is still buffered: the batch (with the other org's row) is written.
    await ctx.database.db.deleteFrom('org_units').where('id', '=', s.unitId).execute();
    await auditOf(other.headers);
    const after = await count(s.orgId);
    expect(after?.all).toBeGreaterThan(before?.all ?? 0);
    expect(after?.org_level).toBe(after?.all);
    expect((await auditOf(other.headers)).items.map((e) => e.path)).toContain('/secrets');
    await ctx.database.db.deleteFrom('organizations').where('id', '=', s.orgId).execute();
    expect(await count(s.orgId)).toEqual({ all: 0, org_level: 0 });
  });

  it('filters by method, status range, email and search; sorts and pages', async () => {
    const s = await signup(ctx.app);
    for (const name of ['a', 'b', 'c']) await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: { name } });
    await ctx.app.inject({ method: 'POST', url: '/secrets', headers: s.headers, payload: {} });
    const id = (await ctx.database.db.selectFrom('api_credentials').select('id').where('unit_id', '=', s.unitId).executeTakeFirstOrThrow()).id;
    await ctx.app.inject({ method: 'DELETE', url: `/secrets/${id}`, headers: s.headers });

    const deletes = await auditOf(s.headers, '?method=DELETE');
    expect(deletes.items.map((e) => e.path)).toEqual([`/secrets/${id}`]);
    const failures = await auditOf(s.headers, '?status_min=400&status_max=499');
    expect(failures.items.map((e) => e.status)).toEqual([400]);
    const byEmail = await auditOf(s.headers, `?user_email=${encodeURIComponent(s.email.toUpperCase())}&method=POST`);
    expect(byEmail.items.filter((e) => e.path === '/secrets')).toHaveLength(4);
    expect((await auditOf(s.headers, '?user_email=nobody@example.com')).items).toEqual([]);
    const search = await auditOf(s.headers, `?search=${id.slice(0, 8)}`);
    expect(search.items.map((e) => e.method)).toEqual(['DELETE']);
    const asc = await auditOf(s.headers, '?sort_by=status&sort_order=asc&method=POST');
    const statuses = asc.items.map((e) => e.status);
    expect(statuses).toEqual([...statuses].sort((x, y) => x - y));
    const page = await auditOf(s.headers, '?limit=2&offset=1&method=POST&sort_by=created_at&sort_order=ASC');
    expect(page).toMatchObject({ limit: 2, offset: 1 });
    expect(page.items).toHaveLength(2);
  });

  it.each(['?limit=0', '?limit=501', '?offset=-1', '?method=HEAD', '?sort_by=secret', '?sort_order=sideways', '?status_min=abc'])(
    'answers 400 for %s',
    async (query) => {
      const s = await signup(ctx.app);
      expectError(await ctx.app.inject({ method: 'GET', url: `/admin/audit-logs${query}`, headers: s.headers }), 400, 'validation_failed');
    },
  );

  it('is for Owners with a member session: Operators, Viewers and credentials get 403', async () => {
    const admin = await signup(ctx.app);
    const op = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, op.memberId, 'Operator');
    const cred = await createCredential(ctx.app, admin);
    expectError(await ctx.app.inject({ method: 'GET', url: '/admin/audit-logs', headers: op.headers }), 403);
    expectError(await ctx.app.inject({ method: 'GET', url: '/admin/audit-logs', headers: cred.headers }), 403);
  });

  it('never shows another organization’s entries (both ways)', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    await ctx.app.inject({ method: 'POST', url: '/secrets', headers: a.headers, payload: { name: 'a' } });
    await ctx.app.inject({ method: 'POST', url: '/secrets', headers: b.headers, payload: { name: 'b' } });
    for (const [caller, other] of [[a, b], [b, a]] as const) {
      const items = (await auditOf(caller.headers)).items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((e) => e.user_email !== other.email)).toBe(true);
      expect(items.every((e) => e.unit_id === null || e.unit_id === caller.unitId)).toBe(true);
    }
  });
});

describe('GET /usage', () => {
  it('counts the organization and the active OU for this month', async () => {
    const s = await signup(ctx.app);
    await createCredential(ctx.app, s);
    const member = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, member.memberId, 'Viewer');
    const res = await ctx.app.inject({ method: 'GET', url: '/usage', headers: s.headers });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.organization).toMatchObject({ members: 2, org_units: 1, api_credentials: 1 });
    expect(body.unit).toMatchObject({ unit_id: s.unitId, members: 2, api_credentials: 1 });
    expect(body.organization.api_write_requests).toBeGreaterThanOrEqual(3);
    const start = new Date(body.period.start);
    expect(start.getUTCDate()).toBe(1);
    expect(start.getTime()).toBeLessThanOrEqual(Date.now());
    expect(new Date(body.period.end).getTime()).toBeGreaterThan(Date.now());

    const viewerUsage = await ctx.app.inject({ method: 'GET', url: '/usage', headers: member.headers });
    expect(viewerUsage.statusCode).toBe(200);
    const other = await signup(ctx.app);
    const otherUsage = (await ctx.app.inject({ method: 'GET', url: '/usage', headers: other.headers })).json();
    expect(otherUsage.organization).toMatchObject({ members: 1, api_credentials: 0 });
  });

  it('needs a member session and an OU', async () => {
    const s = await signup(ctx.app);
    const cred = await createCredential(ctx.app, s);
    expectError(await ctx.app.inject({ method: 'GET', url: '/usage', headers: cred.headers }), 403);
    expectError(await ctx.app.inject({ method: 'GET', url: '/usage' }), 401);
  });
});
