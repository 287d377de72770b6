import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, SecretBoxError } from '../../src/auth/secret-box.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createSlackSender, type SendSlackMessage } from '../../src/modules/slack/slack.sender.js';
import { setupTestApp, TEST_ENV } from '../helpers/app.js';
import { startFakeSlack } from '../helpers/fake-slack.js';
import { signup, type Session } from '../helpers/factories.js';
import { configureSlackApp, connectSlack } from '../helpers/slack.js';

const fake = await startFakeSlack();
afterAll(() => fake.close());
const env = { SCORING_WORKER: 'false', SLACK_API_BASE: fake.url };
const ctx = setupTestApp(env);

let send: SendSlackMessage;
let s: Session;
beforeAll(async () => {
  send = createSlackSender({ db: ctx.database.db, config: loadConfig({ ...TEST_ENV, ...env }), log: ctx.app.log });
  s = await signup(ctx.app);
  await configureSlackApp(ctx.app, s);
  await connectSlack(ctx.app, s, 'sender');
  const res = await ctx.app.inject({ method: 'PUT', url: '/integrations/slack/default-target', headers: s.headers, payload: { kind: 'channel', id: 'C0000000002' } });
  expect(res.statusCode, res.body).toBe(200);
});

describe('the outbox Slack sender', () => {
  it('sends text and blocks to the OU’s default target when given none', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Ada* crossed 100' } }];
    const result = await send(s.orgId, s.unitId, null, { text: 'Ada crossed 100', blocks });
    expect(result).toEqual({ ok: true, httpStatus: 200, retryable: false, channel: 'C0000000002', ts: '1700000000.000100' });
    const posted = fake.callsOf('chat.postMessage').at(-1);
    expect(posted?.token).toBe('xoxb-sender');
    expect(posted?.args.text).toBe('Ada crossed 100');
    expect(JSON.parse(posted?.args.blocks ?? 'null')).toEqual(blocks);
  });

  it('opens a DM for a user target', async () => {
    const result = await send(s.orgId, s.unitId, { kind: 'user', id: 'U0000000001' }, { text: 'hi' });
    expect(result).toMatchObject({ ok: true, channel: 'D0000000001' });
    expect(fake.callsOf('conversations.open').at(-1)?.args.users).toBe('U0000000001');
  });

  it('fails for good without a connection or a target', async () => {
    const other = await signup(ctx.app);
    expect(await send(other.orgId, other.unitId, null, { text: 'x' })).toEqual({ ok: false, error: 'not_connected', retryable: false });
    await configureSlackApp(ctx.app, other);
    await connectSlack(ctx.app, other, 'notarget');
    expect(await send(other.orgId, other.unitId, null, { text: 'x' })).toEqual({ ok: false, error: 'no_target', retryable: false });
    // Another OU's connection is never used: the same ids in another organization find nothing.
    expect(await send(other.orgId, s.unitId, null, { text: 'x' })).toEqual({ ok: false, error: 'not_connected', retryable: false });
  });

  it('marks rate limits, Slack outages and network failures retryable, refusals not', async () => {
    fake.next('chat.postMessage', { status: 429, headers: { 'retry-after': '7' }, body: { ok: false, error: 'ratelimited' } });
    expect(await send(s.orgId, s.unitId, null, { text: 'x' })).toEqual({ ok: false, httpStatus: 429, error: 'ratelimited', retryable: true, retryAfterSeconds: 7 });
    fake.next('chat.postMessage', { status: 503, body: 'down' });
    expect(await send(s.orgId, s.unitId, null, { text: 'x' })).toEqual({ ok: false, httpStatus: 503, error: 'http_503', retryable: true });
    fake.next('chat.postMessage', { body: { ok: false, error: 'internal_error' } });
    expect(await send(s.orgId, s.unitId, null, { text: 'x' })).toMatchObject({ ok: false, error: 'internal_error', retryable: true });
    expect(await send(s.orgId, s.unitId, { kind: 'channel', id: 'X0000000001' }, { text: 'x' })).toEqual({ ok: false, httpStatus: 200, error: 'channel_not_found', retryable: false });
    fake.next('chat.postMessage', { body: { ok: false, error: 'not_authed' } });
    expect(await send(s.orgId, s.unitId, null, { text: 'x' })).toMatchObject({ ok: false, error: 'not_authed', retryable: false });
    fake.next('chat.postMessage', { body: { ok: false, error: 'invalid_auth' } });
    expect(await send(s.orgId, s.unitId, null, { text: 'x' })).toMatchObject({ ok: false, error: 'invalid_auth', retryable: false });

    const dead = await startFakeSlack();
    await dead.close();
    const offline = createSlackSender({ db: ctx.database.db, config: loadConfig({ ...TEST_ENV, ...env, SLACK_API_BASE: dead.url }), log: ctx.app.log });
    expect(await offline(s.orgId, s.unitId, null, { text: 'x' })).toEqual({ ok: false, error: 'request_failed', retryable: true });
  });

  it('refuses for good a token sealed under another SECRETS_KEY', async () => {
    const rekeyed = createSlackSender({
      db: ctx.database.db,
      config: loadConfig({ ...TEST_ENV, ...env, SECRETS_KEY: randomBytes(32).toString('hex') }),
      log: ctx.app.log,
    });
    expect(await rekeyed(s.orgId, s.unitId, null, { text: 'x' })).toEqual({ ok: false, error: 'token_unreadable', retryable: false });
  });
});

describe('secret box and SECRETS_KEY', () => {
  const box = createSecretBox(randomBytes(32));

  it('opens what it sealed only in the same context, and never an altered value', () => {
    const sealed = box.seal('xoxb-secret', 'slack_bot_token:a:b');
    expect(sealed).not.toContain('xoxb');
    expect(box.open(sealed, 'slack_bot_token:a:b')).toBe('xoxb-secret');
    expect(box.seal('xoxb-secret', 'ctx')).not.toBe(box.seal('xoxb-secret', 'ctx'));
    expect(() => box.open(sealed, 'slack_bot_token:a:c')).toThrow(SecretBoxError);
    const parts = sealed.split('.');
    const ciphertext = Buffer.from(parts[4] as string, 'base64url');
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    expect(() => box.open([...parts.slice(0, 4), ciphertext.toString('base64url')].join('.'), 'slack_bot_token:a:b')).toThrow(SecretBoxError);
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'slack_bot_token:a:b')).toThrow('another SECRETS_KEY');
    expect(() => box.open('plain text', 'x')).toThrow('not a sealed value');
  });

  it('takes SECRETS_KEY as 64 hex characters or base64 of 32 bytes, refuses anything else, and flags the development key', () => {
    const key = randomBytes(32);
    expect(loadConfig({ SECRETS_KEY: key.toString('hex') }).secretsKey.equals(key)).toBe(true);
    expect(loadConfig({ SECRETS_KEY: key.toString('base64') }).secretsKey.equals(key)).toBe(true);
    expect(loadConfig({ SECRETS_KEY: key.toString('hex') }).secretsKeyIsDevelopment).toBe(false);
    expect(loadConfig({}).secretsKeyIsDevelopment).toBe(true);
    for (const bad of ['short', 'ab'.repeat(31), randomBytes(16).toString('base64'), 'zz'.repeat(32)]) {
      expect(() => loadConfig({ SECRETS_KEY: bad })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ SLACK_API_BASE: 'not a url' })).toThrow(ConfigError);
  });
});
