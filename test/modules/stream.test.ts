import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';

const ctx = setupTestApp({ SSE_HEARTBEAT_MS: '50', SCORING_WORKER: 'false' });
let base = '';

beforeAll(async () => {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ctx.app.close();
});

interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text(): string;
  /** Resolves once the received text satisfies the predicate (fails the test after 10 s). */
  waitFor(predicate: (text: string) => boolean): Promise<string>;
  close(): void;
}

function openStream(headers: Record<string, string>, query = ''): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/stream${query}`, { headers }, (res) => {
      let received = '';
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        received += chunk;
        for (const check of [...waiters]) check();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => received,
        waitFor: (predicate) =>
          new Promise((done, fail) => {
            const timeout = setTimeout(() => fail(new Error(`stream never matched; got ${received}`)), 10_000);
            const check = () => {
              if (!predicate(received)) return;
              clearTimeout(timeout);
              waiters.delete(check);
              done(received);
            };
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

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
    const stream = await openStream(s.headers);
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

    const stream = await openStream(viewer.headers, `?ouId=${admin.unitId}`);
    expect(stream.status).toBe(200);
    const res = await ingest(admin, 'viewer-sees@s.io');
    await stream.waitFor((t) => t.includes(res.json().metadata.event_id));
    stream.close();
  });
});
