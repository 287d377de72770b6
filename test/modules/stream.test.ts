import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { listenLocally, openStream } from '../helpers/sse.js';

const ctx = setupTestApp({ SSE_HEARTBEAT_MS: '50', SCORING_WORKER: 'false' });
let base = '';

beforeAll(async () => {
  base = await listenLocally(ctx.app);
});
afterAll(async () => {
  await ctx.app.close();
});

function ingest(session: Session, value: string) {
  return ctx.app.inject({
    method: 'POST',
    url: '/events',
    headers: session.headers,
    payload: { aliases: [{ alias_kind: 'email', raw_value: value }], event_type: 'page_view' },
  });
}

describe('GET /stream', () => {
  it('sends event_ingested for an event of the OU, heartbeats, and unsubscribes on close', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    const before = ctx.app.live.subscriberCount();
    const stream = await openStream(base, s.headers);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    await stream.waitFor((t) => t.includes(': connected'));
    expect(ctx.app.live.subscriberCount()).toBe(before + 1);

    expect((await ingest(other, 'elsewhere@o.io')).statusCode).toBe(202);
    const res = await ingest(s, 'live@s.io');
    expect(res.statusCode).toBe(202);
    const { event_id: eventId, lead_id: leadId } = res.json().metadata;
    const text = await stream.waitFor((t) => t.includes(eventId));
    const frame = text.split('\n\n').find((f) => f.includes(eventId)) ?? '';
    const lines = frame.split('\n');
    expect(lines[0]).toBe('event: event_ingested');
    expect(JSON.parse((lines[1] ?? '').replace(/^data: /, ''))).toMatchObject({
      event_id: eventId,
      lead_id: leadId,
      event_type: 'page_view',
      channel: 'web',
    });
    expect(text).not.toContain('elsewhere');
    await stream.waitFor((t) => t.includes(': heartbeat'));

    stream.close();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (ctx.app.live.subscriberCount() === before) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
  });

  it('follows the OU named by ouId when the caller belongs to it, else answers 403', async () => {
    const admin = await signup(ctx.app);
    const stranger = await signup(ctx.app);
    const viewer = await addMember(ctx.app, admin);
    await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
    const denied = await ctx.app.inject({ method: 'GET', url: `/stream?ouId=${admin.unitId}`, headers: stranger.headers });
    expectError(denied, 403, 'forbidden');
    expectError(await ctx.app.inject({ method: 'GET', url: '/stream' }), 401, 'unauthorized');

    const stream = await openStream(base, viewer.headers, `?ouId=${admin.unitId}`);
    expect(stream.status).toBe(200);
    const res = await ingest(admin, 'viewer-sees@s.io');
    await stream.waitFor((t) => t.includes(res.json().metadata.event_id));
    stream.close();
  });
});
