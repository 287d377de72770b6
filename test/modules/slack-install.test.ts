import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { startFakeSlack, FAKE_APP } from '../helpers/fake-slack.js';
import { activeOuCookie, addMember, assign, createCredential, expectError, signup } from '../helpers/factories.js';
import { callback, configureSlackApp, connectSlack, installCookieOf, rememberInstall, startInstall } from '../helpers/slack.js';

const fake = await startFakeSlack();
afterAll(() => fake.close());
const ctx = setupTestApp({ SCORING_WORKER: 'false', SLACK_API_BASE: fake.url, SECRETS_KEY: 'ab'.repeat(32) });

const appRow = (orgId: string) => ctx.database.db.selectFrom('slack_apps').selectAll().where('org_id', '=', orgId).executeTakeFirst();
const connectionRows = (orgId: string) => ctx.database.db.selectFrom('slack_connections').selectAll().where('org_id', '=', orgId).execute();
const stateCount = async (orgId: string) =>
  Number((await ctx.database.db.selectFrom('slack_oauth_states').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow()).n);

describe('GET/PUT /settings/slack-app', () => {
  it('answers not configured, then stores the app with the secret sealed and never returned', async () => {
    const admin = await signup(ctx.app);
    const before = await ctx.app.inject({ method: 'GET', url: '/settings/slack-app', headers: admin.headers });
    expect(before.json()).toEqual({ configured: false, client_id: null, client_secret_set: false, scopes: ['chat:write', 'channels:read', 'groups:read', 'users:read', 'im:write'], redirect_uri: null, updated_at: null });

    const put = await configureSlackApp(ctx.app, admin, { scopes: ['chat:write'], redirect_uri: 'https://leadvibe.example/integrations/slack/callback' });
    expect(put).toMatchObject({ configured: true, client_id: FAKE_APP.clientId, client_secret_set: true, scopes: ['chat:write'], redirect_uri: 'https://leadvibe.example/integrations/slack/callback' });
    expect(JSON.stringify(put)).not.toContain(FAKE_APP.clientSecret);
    const got = await ctx.app.inject({ method: 'GET', url: '/settings/slack-app', headers: admin.headers });
    expect(got.json()).toEqual(put);
    expect(got.body).not.toContain(FAKE_APP.clientSecret);

    const row = await appRow(admin.orgId);
    expect(row?.client_secret_sealed).toMatch(/^v1\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row?.client_secret_sealed).not.toContain(FAKE_APP.clientSecret);
    expect(row?.client_secret_sealed).not.toContain(Buffer.from(FAKE_APP.clientSecret).toString('base64url'));
    expect(row?.updated_by).toBe(admin.memberId);
  });

  it('lets members read it but only org admins set it, and never Basic credentials', async () => {
    const admin = await signup(ctx.app);
    const member = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, member.memberId, 'Owner');
    const basic = await createCredential(ctx.app, admin);
    const body = { client_id: 'x', client_secret: 'y' };
    expectError(await ctx.app.inject({ method: 'PUT', url: '/settings/slack-app', headers: member.headers, payload: body }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'PUT', url: '/settings/slack-app', headers: basic.headers, payload: body }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'GET', url: '/settings/slack-app', headers: basic.headers }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'GET', url: '/settings/slack-app' }), 401, 'unauthorized');
    expect(await appRow(admin.orgId)).toBeUndefined();
    expect((await ctx.app.inject({ method: 'GET', url: '/settings/slack-app', headers: member.headers })).json().configured).toBe(false);
  });

  it('refuses bad bodies with 400 naming the field, and keeps the stored app', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const before = await appRow(admin.orgId);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ client_secret: 's' }, 'body.client_id'],
      [{ client_id: 'c' }, 'body.client_secret'],
      [{ client_id: '  ', client_secret: 's' }, 'body.client_id'],
      [{ client_id: 'c', client_secret: '' }, 'body.client_secret'],
      [{ client_id: 'c', client_secret: 's', scopes: [] }, 'body.scopes'],
      [{ client_id: 'c', client_secret: 's', scopes: ['Chat Write'] }, 'body.scopes.0'],
      [{ client_id: 'c', client_secret: 's', redirect_uri: 'javascript:alert(1)' }, 'body.redirect_uri'],
      [{ client_id: 42, client_secret: 's' }, 'body.client_id'],
    ];
    for (const [payload, field] of bad) {
      const body = expectError(await ctx.app.inject({ method: 'PUT', url: '/settings/slack-app', headers: admin.headers, payload }), 400, 'validation_failed');
      expect(body.details?.map((d) => d.field)).toContain(field);
    }
    expect(await appRow(admin.orgId)).toEqual(before);
  });
});

describe('install and callback', () => {
  it('GET answers 302 to Slack’s authorize URL and POST the same URL, each with a fresh state', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin, { scopes: ['chat:write', 'users:read'], redirect_uri: 'https://lv.example/cb' });
    const get = await ctx.app.inject({ method: 'GET', url: '/integrations/slack/install', headers: admin.headers });
    expect(get.statusCode, get.body).toBe(302);
    const url = new URL(get.headers.location as string);
    expect(rememberInstall(get)).toBe(url.searchParams.get('state'));
    expect(`${url.origin}${url.pathname}`).toBe('https://slack.com/oauth/v2/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: FAKE_APP.clientId, scope: 'chat:write,users:read', redirect_uri: 'https://lv.example/cb' });
    expect(url.searchParams.get('state')).toMatch(new RegExp(`^${admin.orgId}\\.[\\w-]{43}$`));
    const state2 = await startInstall(ctx.app, admin);
    expect(state2).not.toBe(url.searchParams.get('state'));
    expect(await stateCount(admin.orgId)).toBe(2);
    // Stored hashed: the state text is nowhere in the table.
    const rows = await ctx.database.db.selectFrom('slack_oauth_states').selectAll().where('org_id', '=', admin.orgId).execute();
    expect(JSON.stringify(rows)).not.toContain(state2.split('.')[1]);
    expect(rows.every((r) => r.unit_id === admin.unitId && r.member_id === admin.memberId)).toBe(true);
  });

  it('exchanges the code, stores the bot token sealed for the OU of the state and redirects to the Integrations page', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const state = await startInstall(ctx.app, admin);
    const res = await callback(ctx.app, { code: 'code-happy', state });
    expect(res.statusCode, res.body).toBe(302);
    expect(res.headers.location).toBe('/integrations?slack=connected');
    const exchange = fake.callsOf('oauth.v2.access').at(-1);
    expect(exchange?.args).toMatchObject({ client_id: FAKE_APP.clientId, client_secret: FAKE_APP.clientSecret, code: 'code-happy' });

    const [row, ...others] = await connectionRows(admin.orgId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ unit_id: admin.unitId, team_id: 'THAPPY', team_name: 'Workspace happy', bot_user_id: 'UBOT000001', installed_by: admin.memberId });
    expect(row?.bot_token_sealed).toMatch(/^v1\./);
    expect(row?.bot_token_sealed).not.toContain('xoxb-happy');
    expect(await stateCount(admin.orgId)).toBe(0);

    const status = await ctx.app.inject({ method: 'GET', url: '/integrations/slack', headers: admin.headers });
    expect(status.json()).toMatchObject({ connected: true, team_id: 'THAPPY', team_name: 'Workspace happy', bot_user_id: 'UBOT000001', default_target_kind: null });
    expect(status.body).not.toContain('xoxb-');
  });

  it('refuses a used, expired, unknown or altered state with 400 and stores nothing', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const used = await startInstall(ctx.app, admin);
    expect((await callback(ctx.app, { code: 'code-first', state: used })).statusCode).toBe(302);
    const exchanges = fake.callsOf('oauth.v2.access').length;
    expectError(await callback(ctx.app, { code: 'code-second', state: used }), 400, 'invalid_oauth_state');

    const expired = await startInstall(ctx.app, admin);
    await sql`update slack_oauth_states set expires_at = now() - interval '1 second' where org_id = ${admin.orgId}::uuid`.execute(ctx.database.db);
    expectError(await callback(ctx.app, { code: 'code-second', state: expired }), 400, 'invalid_oauth_state');
    expect(await stateCount(admin.orgId)).toBe(0);

    const fresh = await startInstall(ctx.app, admin);
    // Cookies signed for exactly these states, so the refusal is the table's, not the cookie check's.
    for (const state of [`${fresh}x`, fresh.replace(admin.orgId, '00000000-0000-4000-8000-000000000000'), 'no-dot', `not-a-uuid.${fresh.split('.')[1]}`]) {
      const cookie = ctx.app.signCookie(createHash('sha256').update(state).digest('hex'));
      expectError(await callback(ctx.app, { code: 'code-second', state }, cookie), 400, 'invalid_oauth_state');
    }
    expect(await stateCount(admin.orgId)).toBe(1);
    expectError(await callback(ctx.app, { code: 'code-second' }), 400, 'validation_failed');
    expect(fake.callsOf('oauth.v2.access').length).toBe(exchanges);
    expect((await connectionRows(admin.orgId)).map((r) => r.team_id)).toEqual(['TFIRST']);
  });

  it('finishes only in the browser that began the install: no cookie, another install’s or a forged one is refused', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const state = await startInstall(ctx.app, admin);
    const other = await startInstall(ctx.app, admin);
    const calls = fake.callsOf('oauth.v2.access').length;
    for (const cookie of [null, installCookieOf(other), 'forged', (installCookieOf(state) as string).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      expectError(await callback(ctx.app, { code: 'code-lured', state }, cookie), 400, 'invalid_oauth_state');
    }
    expect(fake.callsOf('oauth.v2.access').length).toBe(calls);
    expect(await stateCount(admin.orgId)).toBe(2);
    const done = await callback(ctx.app, { code: 'code-owned', state });
    expect(done.statusCode, done.body).toBe(302);
    expect(done.cookies.find((c) => c.name === 'slack_install')?.value).toBe('');
    expect((await connectionRows(admin.orgId)).map((r) => r.team_id)).toEqual(['TOWNED']);
  });

  it('lets exactly one of two concurrent callbacks with the same state through', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const state = await startInstall(ctx.app, admin);
    const answers = await Promise.all([callback(ctx.app, { code: 'code-racea', state }), callback(ctx.app, { code: 'code-raceb', state })]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([302, 400]);
    expect(await connectionRows(admin.orgId)).toHaveLength(1);
  });

  it('asks to save the app again when its secret was sealed under another SECRETS_KEY', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const rekeyed = await buildTestApp(ctx.database, { SLACK_API_BASE: fake.url, SECRETS_KEY: 'cd'.repeat(32) });
    try {
      const started = await rekeyed.inject({ method: 'POST', url: '/integrations/slack/install', headers: admin.headers });
      const state = rememberInstall(started);
      const calls = fake.callsOf('oauth.v2.access').length;
      const res = await rekeyed.inject({ method: 'GET', url: `/integrations/slack/callback?code=code-rekey&state=${encodeURIComponent(state)}`, cookies: { slack_install: installCookieOf(state) as string } });
      expect(expectError(res, 409, 'slack_not_configured').message).toContain('another SECRETS_KEY');
      expect(fake.callsOf('oauth.v2.access').length).toBe(calls);
    } finally {
      await rekeyed.close();
    }
  });

  it('connects only the OU the state was made in, whatever OU is active at the callback', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const created = await ctx.app.inject({ method: 'POST', url: '/org-units', headers: admin.headers, payload: { name: 'OU B' } });
    const unitB = created.json().unit_id as string;
    const cookiesA = await activeOuCookie(ctx.app, admin, admin.unitId);
    const cookiesB = await activeOuCookie(ctx.app, admin, unitB);
    const stateB = await startInstall(ctx.app, admin, cookiesB);
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/integrations/slack/callback?code=code-oub&state=${encodeURIComponent(stateB)}`,
      headers: admin.headers,
      cookies: { ...cookiesA, slack_install: installCookieOf(stateB) as string },
    });
    expect(res.statusCode, res.body).toBe(302);
    expect((await connectionRows(admin.orgId)).map((r) => r.unit_id)).toEqual([unitB]);
    const statusA = await ctx.app.inject({ method: 'GET', url: '/integrations/slack', headers: admin.headers, cookies: cookiesA });
    expect(statusA.json().connected).toBe(false);
    const statusB = await ctx.app.inject({ method: 'GET', url: '/integrations/slack', headers: admin.headers, cookies: cookiesB });
    expect(statusB.json()).toMatchObject({ connected: true, team_id: 'TOUB' });
  });

  it('refuses the callback when the member who started it may no longer install in the OU', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const operator = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, operator.memberId, 'Operator');
    const state = await startInstall(ctx.app, operator);
    const demoted = await ctx.app.inject({ method: 'PUT', url: `/org-units/${admin.unitId}/members/${operator.memberId}`, headers: admin.headers, payload: { role: 'Viewer' } });
    expect(demoted.statusCode, demoted.body).toBe(200);
    expectError(await callback(ctx.app, { code: 'code-demoted', state }), 403, 'forbidden');
    expect(await connectionRows(admin.orgId)).toEqual([]);
  });

  it('maps Slack’s refusals to 400, its failures to 502, and a cancelled install to 400', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    const refused = expectError(await callback(ctx.app, { code: 'wrong', state: await startInstall(ctx.app, admin) }), 400, 'slack_oauth_failed');
    expect(refused.message).toContain('invalid_code');
    fake.next('oauth.v2.access', { status: 500, body: '<html>oops</html>' });
    expectError(await callback(ctx.app, { code: 'code-x', state: await startInstall(ctx.app, admin) }), 502, 'slack_unavailable');
    fake.next('oauth.v2.access', { body: { ok: true, team: { id: 'T1' } } });
    expectError(await callback(ctx.app, { code: 'code-x', state: await startInstall(ctx.app, admin) }), 502, 'slack_unavailable');
    const calls = fake.callsOf('oauth.v2.access').length;
    const cancelled = expectError(await callback(ctx.app, { error: 'access_denied', state: await startInstall(ctx.app, admin) }), 400, 'slack_oauth_failed');
    expect(cancelled.message).toContain('access_denied');
    expectError(await callback(ctx.app, { state: await startInstall(ctx.app, admin) }), 400, 'bad_request');
    expect(fake.callsOf('oauth.v2.access').length).toBe(calls);
    expect(await connectionRows(admin.orgId)).toEqual([]);
    expect(await stateCount(admin.orgId)).toBe(0);
  });

  it('answers 409 without an app, and refuses Viewers and Basic credentials', async () => {
    const admin = await signup(ctx.app);
    expectError(await ctx.app.inject({ method: 'POST', url: '/integrations/slack/install', headers: admin.headers }), 409, 'slack_not_configured');
    expectError(await ctx.app.inject({ method: 'GET', url: '/integrations/slack/install', headers: admin.headers }), 409, 'slack_not_configured');
    await configureSlackApp(ctx.app, admin);
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    const basic = await createCredential(ctx.app, admin);
    expectError(await ctx.app.inject({ method: 'POST', url: '/integrations/slack/install', headers: viewer.headers }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'POST', url: '/integrations/slack/install', headers: basic.headers }), 403, 'forbidden');
    expect(await stateCount(admin.orgId)).toBe(0);
  });

  it('keeps the default target on a reinstall to the same workspace and drops it for another', async () => {
    const admin = await signup(ctx.app);
    await configureSlackApp(ctx.app, admin);
    await connectSlack(ctx.app, admin, 'same');
    const put = await ctx.app.inject({ method: 'PUT', url: '/integrations/slack/default-target', headers: admin.headers, payload: { kind: 'channel', id: 'C0000000002' } });
    expect(put.statusCode, put.body).toBe(200);
    await connectSlack(ctx.app, admin, 'same');
    expect((await connectionRows(admin.orgId))[0]).toMatchObject({ default_target_kind: 'channel', default_target_id: 'C0000000002' });
    await connectSlack(ctx.app, admin, 'other');
    expect((await connectionRows(admin.orgId))[0]).toMatchObject({ team_id: 'TOTHER', default_target_kind: null, default_target_id: null });
  });
});
