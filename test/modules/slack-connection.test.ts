import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { startFakeSlack } from '../helpers/fake-slack.js';
import { activeOuCookie, addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';
import { configureSlackApp, connectSlack } from '../helpers/slack.js';

const fake = await startFakeSlack();
afterAll(() => fake.close());
const ctx = setupTestApp({ SCORING_WORKER: 'false', SLACK_API_BASE: fake.url });

const call = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });
const connection = (s: Session) => ctx.database.db.selectFrom('slack_connections').selectAll().where('org_id', '=', s.orgId).executeTakeFirst();

/** An organization with the app configured and its OU connected with token xoxb-<x>. */
async function connected(x: string): Promise<Session> {
  const admin = await signup(ctx.app);
  await configureSlackApp(ctx.app, admin);
  await connectSlack(ctx.app, admin, x);
  return admin;
}

let s: Session;
beforeAll(async () => {
  s = await connected('main');
});

describe('GET /integrations/slack', () => {
  it('says not connected, with the install link once the app is configured', async () => {
    const admin = await signup(ctx.app);
    const empty = { connected: false, team_name: null, team_id: null, bot_user_id: null, updated_at: null, default_target_kind: null, default_target_id: null };
    expect((await call(admin, 'GET', '/integrations/slack')).json()).toEqual({ ...empty, authorize_url: null });
    await configureSlackApp(ctx.app, admin);
    expect((await call(admin, 'GET', '/integrations/slack')).json()).toEqual({ ...empty, authorize_url: '/integrations/slack/install' });
  });

  it('is readable by a Viewer, not by Basic credentials', async () => {
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expect((await call(viewer, 'GET', '/integrations/slack')).json()).toMatchObject({ connected: true, team_id: 'TMAIN' });
    const basic = await createCredential(ctx.app, s);
    expectError(await ctx.app.inject({ method: 'GET', url: '/integrations/slack', headers: basic.headers }), 403, 'forbidden');
  });
});

describe('channel and user proxies', () => {
  it('passes Slack’s channel list through, with types, limit and the cursor of the next page', async () => {
    const first = await call(s, 'GET', '/integrations/slack/channels?limit=2');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ ok: true, response_metadata: { next_cursor: '2' } });
    expect(first.json().channels.map((c: { id: string }) => c.id)).toEqual(['C0000000001', 'C0000000002']);
    expect(fake.callsOf('conversations.list').at(-1)).toMatchObject({
      token: 'xoxb-main',
      args: { types: 'public_channel,private_channel', exclude_archived: 'true', limit: '2' },
    });
    const second = await call(s, 'GET', '/integrations/slack/channels?limit=2&cursor=2&exclude_archived=false');
    expect(second.json()).toMatchObject({ ok: true, channels: [{ id: 'G0000000003', name: 'leadership' }], response_metadata: { next_cursor: '' } });
    expect(fake.callsOf('conversations.list').at(-1)?.args).toMatchObject({ cursor: '2', exclude_archived: 'false' });
    const publicOnly = await call(s, 'GET', '/integrations/slack/channels?types=public_channel');
    expect(publicOnly.json().channels).toHaveLength(2);
  });

  it('passes Slack’s user list through with paging', async () => {
    const res = await call(s, 'GET', '/integrations/slack/users?limit=1&cursor=1');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ ok: true, members: [{ id: 'U0000000002', name: 'bob', real_name: 'Bob Builder' }], response_metadata: { next_cursor: '' } });
    expect(fake.callsOf('users.list').at(-1)).toMatchObject({ token: 'xoxb-main', args: { limit: '1', cursor: '1' } });
  });

  it('survives Slack closing the kept-alive connection between two calls', async () => {
    expect((await call(s, 'GET', '/integrations/slack/users')).statusCode).toBe(200);
    fake.dropIdleConnections();
    const res = await call(s, 'GET', '/integrations/slack/users');
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses bad queries with 400 before calling Slack', async () => {
    const calls = fake.calls.length;
    for (const query of ['types=public_channel,dm', 'types=', 'limit=0', 'limit=1001', 'exclude_archived=yes', `cursor=${'x'.repeat(501)}`]) {
      expectError(await call(s, 'GET', `/integrations/slack/channels?${query}`), 400, 'validation_failed');
    }
    expectError(await call(s, 'GET', '/integrations/slack/users?limit=abc'), 400, 'validation_failed');
    expect(fake.calls.length).toBe(calls);
  });

  it('maps Slack’s failures: a bad cursor 400, a revoked token 409, a rate limit or an outage 502', async () => {
    fake.next('conversations.list', { body: { ok: false, error: 'invalid_cursor' } });
    expect(expectError(await call(s, 'GET', '/integrations/slack/channels?cursor=zz'), 400, 'slack_rejected').message).toContain('invalid_cursor');
    fake.next('users.list', { body: { ok: false, error: 'token_revoked' } });
    expectError(await call(s, 'GET', '/integrations/slack/users'), 409, 'slack_reconnect_required');
    fake.next('users.list', { status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' } });
    expect(expectError(await call(s, 'GET', '/integrations/slack/users'), 502, 'slack_unavailable').message).toContain('retry after 30 s');
    fake.next('conversations.list', { status: 503, body: 'Service Unavailable' });
    expectError(await call(s, 'GET', '/integrations/slack/channels'), 502, 'slack_unavailable');
    fake.next('conversations.list', { body: 'not json at all' });
    expectError(await call(s, 'GET', '/integrations/slack/channels'), 502, 'slack_unavailable');
    fake.next('conversations.list', { body: { ok: true, channels: 'nope' } });
    expectError(await call(s, 'GET', '/integrations/slack/channels'), 502, 'slack_unavailable');
  });

  it('asks to install again when the bot token was sealed under another SECRETS_KEY', async () => {
    const rekeyed = await buildTestApp(ctx.database, { SLACK_API_BASE: fake.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    try {
      const calls = fake.calls.length;
      const res = await rekeyed.inject({ method: 'GET', url: '/integrations/slack/channels', headers: s.headers });
      expect(expectError(res, 409, 'slack_reconnect_required').message).toContain('another SECRETS_KEY');
      expect(fake.calls.length).toBe(calls);
    } finally {
      await rekeyed.close();
    }
  });

  it('answers 409 for an OU that is not connected, without calling Slack', async () => {
    const other = await signup(ctx.app);
    const calls = fake.calls.length;
    expectError(await call(other, 'GET', '/integrations/slack/channels'), 409, 'slack_not_connected');
    expectError(await call(other, 'GET', '/integrations/slack/users'), 409, 'slack_not_connected');
    expect(fake.calls.length).toBe(calls);
  });
});

describe('PUT /integrations/slack/default-target', () => {
  it('stores a channel or a user target and answers the status', async () => {
    const admin = await connected('target');
    const res = await call(admin, 'PUT', '/integrations/slack/default-target', { kind: 'user', id: 'U0000000001' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ connected: true, default_target_kind: 'user', default_target_id: 'U0000000001' });
    await call(admin, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000002' });
    expect(await connection(admin)).toMatchObject({ default_target_kind: 'channel', default_target_id: 'C0000000002' });
  });

  it('refuses bad targets with 400, Viewers with 403 and unconnected OUs with 409, changing nothing', async () => {
    const admin = await connected('badtarget');
    await call(admin, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000001' });
    for (const payload of [{ kind: 'group', id: 'C1' }, { kind: 'channel' }, { kind: 'channel', id: '#general' }, { kind: 'user', id: 'u-lower' }, { id: 'C0000000001' }]) {
      expectError(await call(admin, 'PUT', '/integrations/slack/default-target', payload), 400, 'validation_failed');
    }
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    expectError(await call(viewer, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000002' }), 403, 'forbidden');
    expect(await connection(admin)).toMatchObject({ default_target_kind: 'channel', default_target_id: 'C0000000001' });
    const other = await signup(ctx.app);
    expectError(await call(other, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000002' }), 409, 'slack_not_connected');
  });
});

describe('POST /integrations/slack/test', () => {
  it('posts to a channel with the default text or the given one', async () => {
    const res = await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000002' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ ok: true, channel: 'C0000000002', ts: '1700000000.000100' });
    const posted = fake.callsOf('chat.postMessage').at(-1);
    expect(posted?.token).toBe('xoxb-main');
    expect(posted?.args.channel).toBe('C0000000002');
    expect(posted?.args.text).toContain('Leadvibe test notification');
    await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001', text: 'Hello *team*' });
    expect(fake.callsOf('chat.postMessage').at(-1)?.args).toMatchObject({ channel: 'C0000000001', text: 'Hello *team*' });
  });

  it('opens a DM first for a user target and posts there', async () => {
    const opens = fake.callsOf('conversations.open').length;
    const res = await call(s, 'POST', '/integrations/slack/test', { kind: 'user', id: 'U0000000002', text: 'psst' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ ok: true, channel: 'D0000000002', ts: '1700000000.000100' });
    expect(fake.callsOf('conversations.open').slice(opens).map((c) => c.args.users)).toEqual(['U0000000002']);
    expect(fake.callsOf('chat.postMessage').at(-1)?.args).toMatchObject({ channel: 'D0000000002', text: 'psst' });
  });

  it('maps Slack’s refusals to 400 and 409, its outages to 502', async () => {
    expect(expectError(await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'X0000000404' }), 400, 'slack_rejected').message).toContain('channel_not_found');
    expect(expectError(await call(s, 'POST', '/integrations/slack/test', { kind: 'user', id: 'B0000000001' }), 400, 'slack_rejected').message).toContain('user_not_found');
    fake.next('chat.postMessage', { body: { ok: false, error: 'not_in_channel' } });
    expectError(await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 400, 'slack_rejected');
    fake.next('chat.postMessage', { body: { ok: false, error: 'invalid_auth' } });
    expectError(await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 409, 'slack_reconnect_required');
    fake.next('chat.postMessage', { status: 500, body: '' });
    expectError(await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 502, 'slack_unavailable');
    fake.next('chat.postMessage', { body: { ok: true } });
    expectError(await call(s, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 502, 'slack_unavailable');
  });

  it('refuses bad bodies with 400, Viewers with 403 and unconnected OUs with 409, without posting', async () => {
    const posts = fake.callsOf('chat.postMessage').length;
    for (const payload of [{ kind: 'channel' }, { kind: 'dm', id: 'C1' }, { kind: 'channel', id: 'C0000000001', text: '' }, { kind: 'channel', id: 'C0000000001', text: 'x'.repeat(4001) }]) {
      expectError(await call(s, 'POST', '/integrations/slack/test', payload), 400, 'validation_failed');
    }
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expectError(await call(viewer, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 403, 'forbidden');
    const other = await signup(ctx.app);
    expectError(await call(other, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 409, 'slack_not_connected');
    expect(fake.callsOf('chat.postMessage').length).toBe(posts);
  });

  it('answers 502 when Slack cannot be reached at all', async () => {
    const admin = await connected('down');
    const dead = await startFakeSlack();
    await dead.close();
    const app = await buildTestApp(ctx.database, { SLACK_API_BASE: dead.url, SLACK_TIMEOUT_MS: '2000' });
    try {
      const res = await app.inject({ method: 'POST', url: '/integrations/slack/test', headers: admin.headers, payload: { kind: 'channel', id: 'C0000000001' } });
      expectError(res, 502, 'slack_unavailable');
      expect(res.json().message).toContain('request_failed');
    } finally {
      await app.close();
    }
  });
});

describe('DELETE /integrations/slack', () => {
  it('forgets the connection and its default target and asks Slack to revoke the token', async () => {
    const admin = await connected('bye');
    await call(admin, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000001' });
    const res = await call(admin, 'DELETE', '/integrations/slack');
    expect(res.statusCode, res.body).toBe(204);
    expect(await connection(admin)).toBeUndefined();
    expect(fake.callsOf('auth.revoke').at(-1)?.token).toBe('xoxb-bye');
    expect((await call(admin, 'GET', '/integrations/slack')).json()).toMatchObject({ connected: false, default_target_kind: null });
    expectError(await call(admin, 'DELETE', '/integrations/slack'), 404, 'not_found');
    expectError(await call(admin, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000001' }), 409, 'slack_not_connected');
  });

  it('disconnects even when Slack fails to revoke, and refuses Viewers', async () => {
    const admin = await connected('stubborn');
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    expectError(await call(viewer, 'DELETE', '/integrations/slack'), 403, 'forbidden');
    expect(await connection(admin)).toBeDefined();
    fake.next('auth.revoke', { status: 500, body: '' });
    expect((await call(admin, 'DELETE', '/integrations/slack')).statusCode).toBe(204);
    expect(await connection(admin)).toBeUndefined();
  });
});

describe('another OU', () => {
  it('never reaches OU A’s connection: B’s status, proxies, target, test and disconnect act on B alone', async () => {
    const admin = await connected('isoa');
    await call(admin, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000001' });
    const before = await connection(admin);
    const created = await call(admin, 'POST', '/org-units', { name: 'OU B' });
    const ownerB = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, created.json().unit_id as string, ownerB.memberId, 'Owner');
    const basicB = await createCredential(ctx.app, admin, await activeOuCookie(ctx.app, admin, created.json().unit_id));
    const orgB = await signup(ctx.app);
    const calls = fake.calls.length;
    for (const other of [ownerB, orgB]) {
      const status = (await call(other, 'GET', '/integrations/slack')).json();
      expect(status).toMatchObject({ connected: false, team_id: null, default_target_id: null });
      expectError(await call(other, 'GET', '/integrations/slack/channels'), 409, 'slack_not_connected');
      expectError(await call(other, 'GET', '/integrations/slack/users'), 409, 'slack_not_connected');
      expectError(await call(other, 'PUT', '/integrations/slack/default-target', { kind: 'channel', id: 'C0000000002' }), 409, 'slack_not_connected');
      expectError(await call(other, 'POST', '/integrations/slack/test', { kind: 'channel', id: 'C0000000002' }), 409, 'slack_not_connected');
      expectError(await call(other, 'DELETE', '/integrations/slack'), 404, 'not_found');
    }
    for (const [method, url] of [['GET', '/integrations/slack'], ['GET', '/integrations/slack/channels'], ['DELETE', '/integrations/slack']] as const) {
      expectError(await ctx.app.inject({ method, url, headers: basicB.headers }), 403, 'forbidden');
    }
    expect(fake.calls.length).toBe(calls);
    expect(await connection(admin)).toEqual(before);
  });
});
