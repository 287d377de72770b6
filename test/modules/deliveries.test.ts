import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/modules/triggers/delivery/delivery-sender.js';
import { setupTestApp } from '../helpers/app.js';
import { addMember, expectError, signup, type Session } from '../helpers/factories.js';
import { setupReceiver } from '../helpers/receiver.js';
import { createRule, insertEvents, insertLead, putSurge } from '../helpers/scoring-factory.js';

const receiver = setupReceiver();
const mails: Array<{ to: string[]; data: string }> = [];
const smtp = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    let data = '';
    stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
    stream.on('end', () => {
      mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
      callback();
    });
  },
});
const env: Record<string, string> = {
  SCORING_WORKER: 'false',
  DELIVERY_WORKER: 'false',
  ALLOW_PRIVATE_WEBHOOKS: 'true',
  DELIVERY_BACKOFF_BASE_MS: '40',
  DELIVERY_BACKOFF_MAX_MS: '2000',
};
beforeAll(async () => {
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
const ctx = setupTestApp(env);

const call = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

let s: Session;
beforeAll(async () => {
  s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 50 });
});

/** A milestone on `demo` ≥ 50 with these actions, fired for a new lead; answers the trigger and lead. */
async function fire(actions: Record<string, unknown>, path = '/hook') {
  const res = await call(s, 'POST', '/milestones', { event_type: 'demo', score_threshold: 50, webhook_url: receiver.url(path), ...actions });
  expect(res.statusCode, res.body).toBe(201);
  const lead = await insertLead(ctx.database.db, s);
  await insertEvents(ctx.database.db, s, lead, [{ type: 'demo', at: new Date() }]);
  await ctx.app.scoringWorker.drain();
  return { triggerId: res.json().trigger_id as string, lead };
}

async function deliveriesOf(triggerId: string) {
  const res = await call(s, 'GET', `/deliveries?trigger_id=${triggerId}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Array<Record<string, any>>;
}

const sent = (path: string) => receiver.requests.filter((r) => r.path === path);

describe('back-off', () => {
  it('grows exponentially with equal jitter: the n-th delay lies in [step/2, step], step = base × 2^(n-1) capped', () => {
    for (let n = 1; n <= 6; n++) {
      const step = Math.min(1000, 40 * 2 ** (n - 1));
      const delays = Array.from({ length: 200 }, () => backoffMs(n, 40, 1000));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(step / 2);
      expect(Math.max(...delays)).toBeLessThanOrEqual(step);
      expect(new Set(delays).size).toBeGreaterThan(1);
    }
  });
});

describe('webhook deliveries', () => {
  it('POSTs the firing as JSON signed with the org secret, and records the attempt', async () => {
    receiver.status = 200;
    const { triggerId, lead } = await fire({}, '/signed');
    await ctx.app.deliveries.sender.drain();
    const [req] = sent('/signed');
    expect(sent('/signed')).toHaveLength(1);
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({ type: 'milestone.fired', lead_id: lead, score: 50, org_id: s.orgId, unit_id: s.unitId, trigger: { id: triggerId, kind: 'milestone' }, event: { event_type: 'demo' } });
    const secret = (await call(s, 'GET', '/settings/webhook-secret')).json().secret as string;
    const header = String(req!.headers['x-leadvibe-signature']);
    const [, t, mac] = /^t=(\d+),sha256=([0-9a-f]{64})$/.exec(header) ?? [];
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    expect(mac).toBe(createHmac('sha256', secret).update(`${t}.${req!.body}`).digest('hex'));

    const [d] = await deliveriesOf(triggerId);
    expect(d).toMatchObject({ kind: 'webhook', status: 'succeeded', attempts: 1, total_attempts: 1, lead_id: lead, last_http_status: 200, next_attempt_at: null });
    expect(d!.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status: 'succeeded', http_status: 200, error: null })]);
    expect(req!.headers['x-leadvibe-delivery']).toBe(d!.delivery_id);
  });

  it('a rotated secret signs the next sends; only org admins read or rotate it', async () => {
    const old = (await call(s, 'GET', '/settings/webhook-secret')).json().secret as string;
    const rotated = await call(s, 'POST', '/settings/webhook-secret/rotate');
    expect(rotated.statusCode, rotated.body).toBe(200);
    const secret = rotated.json().secret as string;
    expect(secret).not.toBe(old);
    expect((await call(s, 'GET', '/settings/webhook-secret')).json().secret).toBe(secret);
    const { triggerId } = await fire({}, '/rotated');
    await ctx.app.deliveries.sender.drain();
    const req = sent('/rotated')[0]!;
    const [, t, mac] = /^t=(\d+),sha256=([0-9a-f]{64})$/.exec(String(req.headers['x-leadvibe-signature'])) ?? [];
    expect(mac).toBe(createHmac('sha256', secret).update(`${t}.${req.body}`).digest('hex'));
    expect((await deliveriesOf(triggerId))[0]).toMatchObject({ status: 'succeeded' });
    const member = await addMember(ctx.app, s, 'member');
    expectError(await ctx.app.inject({ method: 'GET', url: '/settings/webhook-secret', headers: member.headers }), 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'POST', url: '/settings/webhook-secret/rotate', headers: member.headers }), 403, 'forbidden');
  });

  it('retries a receiver answering 500 with growing delays, fails after 5 tries; replay sends again', async () => {
    receiver.status = 500;
    const { triggerId } = await fire({}, '/flaky');
    await ctx.app.deliveries.sender.drain();
    const tries = sent('/flaky');
    expect(tries).toHaveLength(5);
    const gaps = tries.slice(1).map((r, i) => r.at - tries[i]!.at);
    // Equal jitter on 40 ms × 2^(n-1): each gap is at least half its step (20, 40, 80, 160 ms).
    // (Observed gaps only have lower bounds: a loaded machine may add to any of them.)
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 2));
    const [d] = await deliveriesOf(triggerId);
    expect(d).toMatchObject({ status: 'failed', attempts: 5, total_attempts: 5, last_http_status: 500, last_error: 'receiver answered HTTP 500' });
    expect(d!.attempt_log.map((a: { status: string; http_status: number }) => [a.status, a.http_status])).toEqual(Array(5).fill(['failed', 500]));

    receiver.status = 200;
    const replay = await call(s, 'POST', `/deliveries/${d!.delivery_id}/replay`);
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json()).toMatchObject({ status: 'pending', attempts: 0, total_attempts: 5 });
    await ctx.app.deliveries.sender.drain();
    expect(sent('/flaky')).toHaveLength(6);
    expect((await deliveriesOf(triggerId))[0]).toMatchObject({ status: 'succeeded', attempts: 1, total_attempts: 6 });
  });

  it('fails at once on an answer that will not change (404), and replay is 404 for an unknown delivery', async () => {
    receiver.status = 404;
    const { triggerId } = await fire({}, '/gone');
    await ctx.app.deliveries.sender.drain();
    expect(sent('/gone')).toHaveLength(1);
    expect((await deliveriesOf(triggerId))[0]).toMatchObject({ status: 'failed', attempts: 1, last_http_status: 404 });
    receiver.status = 200;
    expectError(await call(s, 'POST', '/deliveries/00000000-0000-4000-8000-000000000000/replay'), 404, 'not_found');
    expectError(await call(s, 'POST', '/deliveries/nope/replay'), 400, 'validation_failed');
  });
});

describe('email and slack deliveries', () => {
  it('sends email over SMTP_URL with the trigger subject', async () => {
    const { triggerId, lead } = await fire({ webhook_url: null, emails: ['sales@example.com', 'ops@example.com'], email_subject: 'Hot lead', email_message: 'Call them now' });
    await ctx.app.deliveries.sender.drain();
    const [d] = await deliveriesOf(triggerId);
    expect(d).toMatchObject({ kind: 'email', status: 'succeeded', attempts: 1 });
    const mail = mails.find((m) => m.data.includes(lead));
    expect(mail?.to).toEqual(['sales@example.com', 'ops@example.com']);
    expect(mail?.data).toContain('Subject: Hot lead');
    expect(mail?.data).toContain('Call them now');
  });

  it('records a slack delivery skipped while the OU has no Slack connection, sends it on replay once the channel can send', async () => {
    const { triggerId } = await fire({ webhook_url: null, slack_target_kind: 'channel', slack_target_id: 'C123' });
    await ctx.app.deliveries.sender.drain();
    const [d] = await deliveriesOf(triggerId);
    expect(d).toMatchObject({ kind: 'slack', status: 'skipped', target: { target_kind: 'channel', target_id: 'C123' } });
    expect(d!.last_error).toBe('not_connected');
    const seen: unknown[] = [];
    ctx.app.deliveries.registerDeliveryChannel({ kind: 'slack', send: async (x) => (seen.push(x.target), { ok: true, httpStatus: 200, retryable: false }) });
    expect((await call(s, 'POST', `/deliveries/${d!.delivery_id}/replay`)).statusCode).toBe(202);
    await ctx.app.deliveries.sender.drain();
    expect(seen).toEqual([{ target_kind: 'channel', target_id: 'C123' }]);
    expect((await deliveriesOf(triggerId))[0]).toMatchObject({ status: 'succeeded' });
  });
});

describe('GET /deliveries', () => {
  it('filters by status, kind, trigger and lead, pages, and refuses bad filters', async () => {
    const { triggerId, lead } = await fire({ emails: ['x@example.com'] }, '/filters');
    await ctx.app.deliveries.sender.drain();
    // Every milestone of this OU fired for the lead: the trigger filter narrows to this one's.
    expect((await call(s, 'GET', `/deliveries?lead_id=${lead}&trigger_id=${triggerId}`)).json().map((d: { kind: string }) => d.kind).sort()).toEqual(['email', 'webhook']);
    expect((await call(s, 'GET', `/deliveries?lead_id=${lead}&trigger_id=${triggerId}&kind=email`)).json()).toHaveLength(1);
    expect((await call(s, 'GET', `/deliveries?lead_id=${lead}&kind=slack`)).json()).toHaveLength(1);
    expect((await call(s, 'GET', `/deliveries?lead_id=nobody`)).json()).toEqual([]);
    expect((await call(s, 'GET', `/deliveries?trigger_id=${triggerId}&status=failed`)).json()).toEqual([]);
    expect((await call(s, 'GET', `/deliveries?trigger_id=${triggerId}&limit=1&page=2`)).json()).toHaveLength(1);
    for (const q of ['status=done', 'kind=sms', 'trigger_id=x', 'limit=0', 'page=0']) expectError(await call(s, 'GET', `/deliveries?${q}`), 400, 'validation_failed');
  });

  it('exposes delivery metrics', async () => {
    const text = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/deliveries_total\{kind="webhook",status="succeeded"\} [1-9]/);
    expect(text).toMatch(/deliveries_total\{kind="webhook",status="retrying"\} [1-9]/);
    expect(text).toMatch(/deliveries_total\{kind="slack",status="skipped"\} [1-9]/);
    expect(text).toMatch(/delivery_attempt_duration_seconds_count\{kind="webhook"\} [1-9]/);
    expect(text).toMatch(/deliveries_outbox_depth 0/);
    expect(text).toMatch(/event_to_slack_latency_seconds_count [1-9]/);
  });
});
