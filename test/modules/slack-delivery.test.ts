import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { startFakeSlack } from '../helpers/fake-slack.js';
import { createRule, insertEvents, insertLead, putSurge } from '../helpers/scoring-factory.js';
import { configureSlackApp, connectSlack } from '../helpers/slack.js';

// A trigger's Slack action goes through the outbox's slack channel (src/modules/slack/slack.channel.ts) to the fake Slack API.
const fake = await startFakeSlack();
afterAll(() => fake.close());
const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false', SLACK_API_BASE: fake.url, DELIVERY_BACKOFF_BASE_MS: '40', DELIVERY_BACKOFF_MAX_MS: '200' });

async function ouWithMilestone(slack: Record<string, unknown>): Promise<Session> {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 50 });
  const res = await ctx.app.inject({ method: 'POST', url: '/milestones', headers: s.headers, payload: { name: 'Hot demo', event_type: 'demo', score_threshold: 50, ...slack } });
  expect(res.statusCode, res.body).toBe(201);
  return s;
}

async function fireFor(s: Session) {
  const lead = await insertLead(ctx.database.db, s);
  await insertEvents(ctx.database.db, s, lead, [{ type: 'demo', at: new Date() }]);
  await ctx.app.scoringWorker.drain();
  await ctx.app.deliveries.sender.drain();
  const list = await ctx.app.inject({ method: 'GET', url: `/deliveries?lead_id=${lead}&kind=slack`, headers: s.headers });
  expect(list.statusCode, list.body).toBe(200);
  return { lead, deliveries: list.json() as Array<Record<string, unknown>> };
}

let connected: Session;
beforeAll(async () => {
  connected = await ouWithMilestone({ slack_target_kind: 'default' });
  await configureSlackApp(ctx.app, connected);
  await connectSlack(ctx.app, connected, 'deliver');
  const target = await ctx.app.inject({ method: 'PUT', url: '/integrations/slack/default-target', headers: connected.headers, payload: { kind: 'channel', id: 'C0000000042' } });
  expect(target.statusCode, target.body).toBe(200);
});

describe('a trigger with a Slack action', () => {
  it("posts the firing to the OU's default target as its bot, once", async () => {
    const before = fake.callsOf('chat.postMessage').length;
    const { lead, deliveries } = await fireFor(connected);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ kind: 'slack', status: 'succeeded' });
    const posts = fake.callsOf('chat.postMessage').slice(before);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ token: 'xoxb-deliver', args: { channel: 'C0000000042' } });
    expect(posts[0]?.args.text).toContain(lead);
    expect(posts[0]?.args.text).toContain('Hot demo');
  });

  it('opens a DM for a user target', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/milestones', headers: connected.headers, payload: { event_type: 'demo', score_threshold: 40, slack_target_kind: 'user', slack_target_id: 'U0000000007' } });
    expect(res.statusCode, res.body).toBe(201);
    const before = fake.callsOf('chat.postMessage').length;
    await fireFor(connected);
    expect(fake.callsOf('conversations.open').at(-1)?.args.users).toBe('U0000000007');
    expect(fake.callsOf('chat.postMessage').slice(before).map((c) => c.args.channel).sort()).toEqual(['C0000000042', 'D0000000007']);
  });

  it('is recorded skipped, naming why, when the OU has no Slack connection', async () => {
    const s = await ouWithMilestone({ slack_target_kind: 'channel', slack_target_id: 'C0000000001' });
    const before = fake.calls.length;
    const { deliveries } = await fireFor(s);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ kind: 'slack', status: 'skipped' });
    expect(JSON.stringify(deliveries[0])).toContain('not_connected');
    expect(fake.calls.length).toBe(before);
  });

  it('retries a Slack failure that may pass (5xx) and succeeds on the next attempt', async () => {
    const s = await ouWithMilestone({ slack_target_kind: 'channel', slack_target_id: 'C0000000077' });
    await configureSlackApp(ctx.app, s);
    await connectSlack(ctx.app, s, 'retry');
    const before = fake.callsOf('chat.postMessage').length;
    fake.next('chat.postMessage', { status: 503, body: 'down' });
    const { deliveries } = await fireFor(s);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    const log = deliveries[0]?.attempt_log as Array<{ status: string; http_status: number }>;
    expect(log.map((a) => [a.status, a.http_status])).toEqual([['failed', 503], ['succeeded', 200]]);
    expect(fake.callsOf('chat.postMessage').slice(before).map((c) => c.args.channel)).toEqual(['C0000000077', 'C0000000077']);
  });
});
