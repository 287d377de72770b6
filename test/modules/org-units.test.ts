import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';

const ctx = setupTestApp();

async function createUnit(s: Session, name: string) {
  const res = await ctx.app.inject({ method: 'POST', url: '/org-units', headers: s.headers, payload: { name } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { unit_id: string; name: string; slug: string };
}

describe('GET/POST /org-units', () => {
  it('an admin creates a second OU, becomes its Owner and sees both with the organization', async () => {
    const s = await signup(ctx.app);
    const unit = await createUnit(s, 'EMEA Sales');
    expect(unit).toMatchObject({ name: 'EMEA Sales', slug: 'emea-sales' });
    const list = await ctx.app.inject({ method: 'GET', url: '/org-units', headers: s.headers });
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body.organization).toMatchObject({ org_id: s.orgId, name: 'Acme' });
    expect(body.units.map((u: { name: string; role: string }) => [u.name, u.role])).toEqual([
      ['Default', 'Owner'],
      ['EMEA Sales', 'Owner'],
    ]);
    const membership = await ctx.database.db
      .selectFrom('ou_memberships')
      .selectAll()
      .where('unit_id', '=', unit.unit_id)
      .executeTakeFirst();
    expect(membership).toMatchObject({ member_id: s.memberId, role: 'Owner', org_id: s.orgId });
  });

  it('refuses a duplicate OU name (case-insensitive) with 409 and keeps one OU', async () => {
    const s = await signup(ctx.app);
    await createUnit(s, 'Team A');
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units', headers: s.headers, payload: { name: 'team a' } }), 409, 'conflict');
    const units = await ctx.database.db.selectFrom('org_units').select('id').where('org_id', '=', s.orgId).execute();
    expect(units).toHaveLength(2);
  });

  it.each([[{}], [{ name: '' }], [{ name: 42 }], [{ name: 'x'.repeat(201) }]])('answers 400 for %j', async (payload) => {
    const s = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units', headers: s.headers, payload }), 400, 'validation_failed');
    expect(await ctx.database.db.selectFrom('org_units').select('id').where('org_id', '=', s.orgId).execute()).toHaveLength(1);
  });

  it('a non-admin member cannot create OUs and lists only its own', async () => {
    const admin = await signup(ctx.app);
    const second = await createUnit(admin, 'Second');
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, second.unit_id, member.memberId, 'Viewer');
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units', headers: member.headers, payload: { name: 'Mine' } }), 403, 'forbidden');
    const list = await ctx.app.inject({ method: 'GET', url: '/org-units', headers: member.headers });
    expect(list.json().units.map((u: { unit_id: string; role: string }) => [u.unit_id, u.role])).toEqual([[second.unit_id, 'Viewer']]);
  });
});

describe('PUT /org-units/{id}', () => {
  it('an Owner renames the OU and sets its session timeout', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `/org-units/${s.unitId}`,
      headers: s.headers,
      payload: { name: 'Main Team', session_timeout_minutes: 45 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ unit_id: s.unitId, name: 'Main Team', slug: 'main-team', session_timeout_minutes: 45 });
  });

  it('an Operator of the OU gets 403; another organization gets 404; nothing changes', async () => {
    const admin = await signup(ctx.app);
    const op = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, op.memberId, 'Operator');
    const stranger = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org-units/${admin.unitId}`, headers: op.headers, payload: { name: 'X' } }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org-units/${admin.unitId}`, headers: stranger.headers, payload: { name: 'X' } }), 404, 'not_found');
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org-units/${stranger.unitId}`, headers: admin.headers, payload: { name: 'X' } }), 404, 'not_found');
    const names = await ctx.database.db.selectFrom('org_units').select('name').where('id', 'in', [admin.unitId, stranger.unitId]).execute();
    expect(names.map((n) => n.name)).toEqual(['Default', 'Default']);
  });

  it('answers 400 for a bad id or a bad timeout', async () => {
    const s = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'PUT', url: '/org-units/not-a-uuid', headers: s.headers, payload: { name: 'X' } }), 400, 'validation_failed');
    expectError(
      await ctx.app.inject({ method: 'PUT', url: `/org-units/${s.unitId}`, headers: s.headers, payload: { name: 'X', session_timeout_minutes: 0 } }),
      400,
      'validation_failed',
    );
  });
});

describe('PUT /org-units/{id} conversion_event_types', () => {
  const DEFAULT_TYPES = ['form_submit', 'demo_request', 'signup', 'purchase'];
  const put = (s: Session, payload: Record<string, unknown>) =>
    ctx.app.inject({ method: 'PUT', url: `/org-units/${s.unitId}`, headers: s.headers, payload });
  const listed = async (s: Session) =>
    (await ctx.app.inject({ method: 'GET', url: '/org-units', headers: s.headers })).json().units[0].conversion_event_types;

  it('starts with the defaults, is set by an Owner (trimmed) and kept when a PUT leaves it out', async () => {
    const s = await signup(ctx.app);
    expect(await listed(s)).toEqual(DEFAULT_TYPES);
    const res = await put(s, { name: 'Default', conversion_event_types: [' trial_start', 'form_submit'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ unit_id: s.unitId, session_timeout_minutes: 30, conversion_event_types: ['trial_start', 'form_submit'] });
    expect((await put(s, { name: 'Renamed', session_timeout_minutes: 20 })).json().conversion_event_types).toEqual(['trial_start', 'form_submit']);
    expect(await listed(s)).toEqual(['trial_start', 'form_submit']);
  });

  it('answers 400 with the envelope for anything but 1 to 50 distinct event type names, and changes nothing', async () => {
    const s = await signup(ctx.app);
    for (const bad of [
      [],
      'form_submit',
      [''],
      ['   '],
      [5],
      [null],
      ['signup', 'signup'],
      ['x'.repeat(129)],
      Array.from({ length: 51 }, (_, i) => `type_${i}`),
    ]) {
      const body = expectError(await put(s, { name: 'Changed', conversion_event_types: bad }), 400, 'validation_failed');
      expect(body.details?.some((d) => d.field.startsWith('body.conversion_event_types')), JSON.stringify(bad)).toBe(true);
    }
    const row = await ctx.database.db.selectFrom('org_units').select(['name', 'conversion_event_types']).where('id', '=', s.unitId).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'Default', conversion_event_types: DEFAULT_TYPES });
    expect((await put(s, { name: 'Default', conversion_event_types: Array.from({ length: 50 }, (_, i) => `type_${i}`) })).statusCode).toBe(200);
  });
});

describe('POST /org-units/active', () => {
  it('switches the active OU: signed cookie, X-Active-OU header, and OU-scoped routes follow it', async () => {
    const s = await signup(ctx.app);
    const second = await createUnit(s, 'Second');
    expectError(await ctx.app.inject({ method: 'GET', url: '/secrets', headers: s.headers }), 400, 'ou_required');
    const res = await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: s.headers, payload: { ouId: second.unit_id } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-active-ou']).toBe(second.unit_id);
    const cookie = res.cookies.find((c) => c.name === 'activeOu');
    expect(cookie?.httpOnly).toBe(true);
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/secrets',
      headers: s.headers,
      cookies: { activeOu: cookie?.value ?? '' },
      payload: { name: 'in second' },
    });
    expect(created.statusCode).toBe(201);
    const row = await ctx.database.db.selectFrom('api_credentials').select('unit_id').executeTakeFirst();
    expect(row?.unit_id).toBe(second.unit_id);
  });

  it('refuses an OU the member does not belong to (403) and one of another organization (404)', async () => {
    const admin = await signup(ctx.app);
    const second = await createUnit(admin, 'Second');
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Viewer');
    const stranger = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: member.headers, payload: { ouId: second.unit_id } }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: admin.headers, payload: { ouId: stranger.unitId } }), 404, 'not_found');
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: admin.headers, payload: { ouId: 'nope' } }), 400, 'validation_failed');
  });
});

describe('OU memberships', () => {
  it('an Operator assigns (idempotently), changes and removes Viewers', async () => {
    const admin = await signup(ctx.app);
    const op = await addMember(ctx.app, admin);
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, op.memberId, 'Operator');
    const url = `/org-units/${admin.unitId}/members`;
    for (let i = 0; i < 2; i++) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: op.headers, payload: { org_member_id: viewer.memberId } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ org_member_id: viewer.memberId, unit_id: admin.unitId, role: 'Viewer', email: viewer.email });
    }
    const list = await ctx.app.inject({ method: 'GET', url, headers: viewer.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().map((m: { org_member_id: string; role: string }) => [m.org_member_id, m.role])).toEqual([
      [admin.memberId, 'Owner'],
      [op.memberId, 'Operator'],
      [viewer.memberId, 'Viewer'],
    ]);
    const put = await ctx.app.inject({ method: 'PUT', url: `${url}/${viewer.memberId}`, headers: op.headers, payload: { role: 'Operator' } });
    expect(put.json().role).toBe('Operator');
    const del = await ctx.app.inject({ method: 'DELETE', url: `${url}/${viewer.memberId}`, headers: op.headers });
    expect(del.statusCode).toBe(204);
    expect(await ctx.database.db.selectFrom('ou_memberships').select('role').where('member_id', '=', viewer.memberId).execute()).toEqual([]);
  });

  it('Viewers cannot manage memberships and Operators cannot grant or remove Owner', async () => {
    const admin = await signup(ctx.app);
    const op = await addMember(ctx.app, admin);
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, op.memberId, 'Operator');
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    const url = `/org-units/${admin.unitId}/members`;
    expectError(await ctx.app.inject({ method: 'POST', url, headers: viewer.headers, payload: { org_member_id: op.memberId, role: 'Viewer' } }), 403);
    expectError(await ctx.app.inject({ method: 'PUT', url: `${url}/${op.memberId}`, headers: viewer.headers, payload: { role: 'Viewer' } }), 403);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `${url}/${op.memberId}`, headers: viewer.headers }), 403);
    expectError(await ctx.app.inject({ method: 'PUT', url: `${url}/${viewer.memberId}`, headers: op.headers, payload: { role: 'Owner' } }), 403);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `${url}/${admin.memberId}`, headers: op.headers }), 403);
    const roles = await ctx.database.db.selectFrom('ou_memberships').select(['member_id', 'role']).where('unit_id', '=', admin.unitId).execute();
    expect(new Map(roles.map((r) => [r.member_id, r.role]))).toEqual(
      new Map([[admin.memberId, 'Owner'], [op.memberId, 'Operator'], [viewer.memberId, 'Viewer']]),
    );
  });

  it('another organization gets 404 for every membership route, both ways', async () => {
    const a = await signup(ctx.app);
    const b = await signup(ctx.app);
    for (const [caller, target] of [[a, b], [b, a]] as const) {
      const url = `/org-units/${target.unitId}/members`;
      expectError(await ctx.app.inject({ method: 'GET', url, headers: caller.headers }), 404);
      expectError(await ctx.app.inject({ method: 'POST', url, headers: caller.headers, payload: { org_member_id: caller.memberId } }), 404);
      expectError(await ctx.app.inject({ method: 'PUT', url: `${url}/${target.memberId}`, headers: caller.headers, payload: { role: 'Viewer' } }), 404);
      expectError(await ctx.app.inject({ method: 'DELETE', url: `${url}/${target.memberId}`, headers: caller.headers }), 404);
      // A member of another organization cannot be assigned into one's own OU either.
      expectError(
        await ctx.app.inject({ method: 'POST', url: `/org-units/${caller.unitId}/members`, headers: caller.headers, payload: { org_member_id: target.memberId } }),
        404,
      );
    }
    const count = await ctx.database.db.selectFrom('ou_memberships').select('member_id').where('unit_id', 'in', [a.unitId, b.unitId]).execute();
    expect(count).toHaveLength(2);
  });

  it('answers 400 for an unknown role and 404 for a membership that does not exist', async () => {
    const admin = await signup(ctx.app);
    const m = await addMember(ctx.app, admin);
    const url = `/org-units/${admin.unitId}/members`;
    expectError(await ctx.app.inject({ method: 'POST', url, headers: admin.headers, payload: { org_member_id: m.memberId, role: 'Boss' } }), 400, 'validation_failed');
    expectError(await ctx.app.inject({ method: 'PUT', url: `${url}/${m.memberId}`, headers: admin.headers, payload: { role: 'Viewer' } }), 404);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `${url}/${m.memberId}`, headers: admin.headers }), 404);
  });
});

describe('two OUs of one organization', () => {
  it('a member of OU A gets 403 for OU B’s memberships, settings and activation', async () => {
    const admin = await signup(ctx.app);
    const b = await createUnit(admin, 'Unit B');
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Owner');
    const url = `/org-units/${b.unit_id}/members`;
    expectError(await ctx.app.inject({ method: 'GET', url, headers: member.headers }), 403);
    expectError(await ctx.app.inject({ method: 'POST', url, headers: member.headers, payload: { org_member_id: member.memberId, role: 'Owner' } }), 403);
    expectError(await ctx.app.inject({ method: 'PUT', url: `${url}/${admin.memberId}`, headers: member.headers, payload: { role: 'Viewer' } }), 403);
    expectError(await ctx.app.inject({ method: 'DELETE', url: `${url}/${admin.memberId}`, headers: member.headers }), 403);
    expectError(await ctx.app.inject({ method: 'PUT', url: `/org-units/${b.unit_id}`, headers: member.headers, payload: { name: 'Mine' } }), 403);
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units/active', headers: member.headers, payload: { ouId: b.unit_id } }), 403);
    const rows = await ctx.database.db.selectFrom('ou_memberships').select(['member_id', 'role']).where('unit_id', '=', b.unit_id).execute();
    expect(rows).toEqual([{ member_id: admin.memberId, role: 'Owner' }]);
    expect((await ctx.database.db.selectFrom('org_units').select('name').where('id', '=', b.unit_id).executeTakeFirst())?.name).toBe('Unit B');
  });
});
