import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { createLead } from '../helpers/analytics-factory.js';
import { countEvents } from '../helpers/events-factory.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const get = (s: Session, url: string) => ctx.app.inject({ method: 'GET', url, headers: s.headers });
const postOrder = (s: Session, payload: Record<string, unknown>) => ctx.app.inject({ method: 'POST', url: '/orders', headers: s.headers, payload });
const ago = (ms: number) => new Date(Date.now() - ms);
const H = 3_600_000;
const D = 24 * H;

async function order(s: Session, payload: Record<string, unknown>) {
  const res = await postOrder(s, { currency: 'usd', amount: 1, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

/** ann: e1 page_view web 1h ago (+10), e2 demo email 2d (+30), e3 email_open email 10d (0), e4 page_view web 40d (+10), a raw normalized row 3h ago; orders o1 30m, o2 20d. */
async function world() {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 30 });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
  await createLead(ctx.app, s, 'ann');
  await createLead(ctx.app, s, 'other');
  const [e4, e3, e2, e1] = await insertEvents(ctx.database.db, s, 'ann', [
    { type: 'page_view', at: ago(40 * D) },
    { type: 'email_open', at: ago(10 * D), channel: 'email' },
    { type: 'demo', at: ago(2 * D), channel: 'email' },
    { type: 'page_view', at: ago(H) },
  ]);
  await insertEvents(ctx.database.db, s, 'ann', [{ type: 'pv', at: ago(3 * H), normalized: true, normalizedParent: false }]);
  await ctx.app.scoringWorker.drain();
  const o1 = await order(s, { lead_id: 'ann', order_id: 'A-1', amount: 99.5, occurred_at: ago(H / 2).toISOString(), metadata: { sku: 'x' } });
  const o2 = await order(s, { lead_id: 'ann', amount: 10, currency: 'eur', occurred_at: ago(20 * D).toISOString() });
  await order(s, { lead_id: 'other', amount: 5 });
  return { s, e1, e2, e3, e4, o1: o1.id, o2: o2.id };
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

describe('GET /leads/{leadID}/activity', () => {
  it('answers the last 7 days by default: events, order items and the merged timeline, newest first', async () => {
    const w = await world();
    const res = await get(w.s, '/leads/ann/activity');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(ids(body.events)).toEqual([w.e1, w.e2]);
    expect(body.events[0]).toMatchObject({ type: 'event', lead_id: 'ann', event_type: 'page_view', channel: 'web', score_delta: 10 });
    expect(body.events[0].latency_ms).toBeGreaterThanOrEqual(H);
    expect(body.events[1]).toMatchObject({ event_type: 'demo', channel: 'email', score_delta: 30 });
    expect(body.orders).toEqual([
      expect.objectContaining({ id: w.o1, type: 'order', lead_id: 'ann', order_id: 'A-1', amount: 99.5, currency: 'USD', metadata: { sku: 'x' } }),
    ]);
    expect(body.timeline.map((i: { type: string; id: string }) => [i.type, i.id])).toEqual([['order', w.o1], ['event', w.e1], ['event', w.e2]]);
  });

  it('applies named ranges to events and orders alike', async () => {
    const w = await world();
    const all = (await get(w.s, '/leads/ann/activity?range=all')).json();
    expect(ids(all.events)).toEqual([w.e1, w.e2, w.e3, w.e4]);
    expect(ids(all.orders)).toEqual([w.o1, w.o2]);
    expect(ids(all.timeline)).toEqual([w.o1, w.e1, w.e2, w.e3, w.o2, w.e4]);
    const month = (await get(w.s, '/leads/ann/activity?range=last_30d')).json();
    expect([ids(month.events), ids(month.orders)]).toEqual([[w.e1, w.e2, w.e3], [w.o1, w.o2]]);
    const day = (await get(w.s, '/leads/ann/activity?range=last_24h')).json();
    expect([ids(day.events), ids(day.orders)]).toEqual([[w.e1], [w.o1]]);
  });

  it('filters events only by channel, minScore, maxLatency and hasDelta', async () => {
    const w = await world();
    const q = async (query: string) => {
      const body = (await get(w.s, `/leads/ann/activity?range=all&${query}`)).json();
      expect(ids(body.orders)).toEqual([w.o1, w.o2]);
      return ids(body.events);
    };
    expect(await q('channel=email')).toEqual([w.e2, w.e3]);
    expect(await q('channel=all')).toEqual([w.e1, w.e2, w.e3, w.e4]);
    expect(await q('channel=slack')).toEqual([]);
    expect(await q('minScore=20')).toEqual([w.e2]);
    expect(await q('minScore=0')).toEqual([w.e1, w.e2, w.e3, w.e4]);
    expect(await q('hasDelta=true')).toEqual([w.e1, w.e2, w.e4]);
    expect(await q('hasDelta=1&channel=web')).toEqual([w.e1, w.e4]);
    expect(await q('hasDelta=false')).toEqual([w.e1, w.e2, w.e3, w.e4]);
    expect(await q(`maxLatency=${2 * H}`)).toEqual([w.e1]);
  });

  it('takes custom bounds in both formats (a bare end date is the whole day)', async () => {
    const s = await signup(ctx.app);
    await createLead(ctx.app, s, 'bob');
    const [late, next] = await insertEvents(ctx.database.db, s, 'bob', [
      { type: 'visit', at: '2026-03-10T23:59:59.999Z' },
      { type: 'visit', at: '2026-03-11T00:00:00Z' },
    ]);
    const o = await order(s, { lead_id: 'bob', occurred_at: '2026-03-10' });
    const day = (await get(s, '/leads/bob/activity?range=custom&start=2026-03-10&end=2026-03-10')).json();
    expect([ids(day.events), ids(day.orders), ids(day.timeline)]).toEqual([[late], [o.id], [late, o.id]]);
    const open = (await get(s, '/leads/bob/activity?start=2026-03-11')).json();
    expect([ids(open.events), ids(open.orders)]).toEqual([[next], []]);
    const instant = (await get(s, '/leads/bob/activity?range=custom&start=2026-03-10T00:00:00Z&end=2026-03-10T00:00:00Z')).json();
    expect([ids(instant.events), ids(instant.orders)]).toEqual([[], [o.id]]);
  });

  it('answers 400 to bad filters and 404 to a lead outside the OU', async () => {
    const w = await world();
    for (const q of ['range=custom&start=2026-03-01', 'range=custom&end=2026-03-01', 'range=last_7d&start=2026-03-01', 'start=tomorrow', 'end=2026-02-30T25:00:00Z', 'range=custom&start=2026-03-02&end=2026-03-01', 'range=forever', 'channel=fax', 'minScore=-1', 'maxLatency=0', 'hasDelta=yes', 'minScore=abc']) {
      const body = expectError(await get(w.s, `/leads/ann/activity?${q}`), 400, 'validation_failed');
      expect(body.details?.[0]?.field, q).toMatch(/^querystring\./);
    }
    expectError(await get(w.s, '/leads/nobody/activity'), 404, 'not_found');
    const stranger = await signup(ctx.app);
    expectError(await get(stranger, '/leads/ann/activity'), 404, 'not_found');
  });
});

describe('POST /orders', () => {
  it('stores an order without creating or scoring an event', async () => {
    const s = await signup(ctx.app);
    await createLead(ctx.app, s, 'ann');
    const res = await postOrder(s, { lead_id: 'ann', order_id: 'N-1', amount: -12.25, currency: 'gbp', occurred_at: '2026-03-01T10:00:00Z' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ type: 'order', lead_id: 'ann', order_id: 'N-1', amount: -12.25, currency: 'GBP', metadata: {}, occurred_at: '2026-03-01T10:00:00.000Z', timestamp: '2026-03-01T10:00:00.000Z' });
    expect(await countEvents(ctx.database.db, s)).toBe(0);
  });

  it('refuses bad input (400), an unknown lead (404), a repeated order_id (409) and large metadata (413), storing nothing', async () => {
    const s = await signup(ctx.app);
    await createLead(ctx.app, s, 'ann');
    await order(s, { lead_id: 'ann', order_id: 'N-1' });
    for (const body of [{ amount: 1, currency: 'USD' }, { lead_id: 'ann', currency: 'USD' }, { lead_id: 'ann', amount: 1, currency: 'dollars' }, { lead_id: 'ann', amount: '1', currency: 'USD' }, { lead_id: 'ann', amount: 1, currency: 'USD', occurred_at: 'now' }, { lead_id: 'bad id!', amount: 1, currency: 'USD' }]) {
      expectError(await postOrder(s, body), 400, 'validation_failed');
    }
    expectError(await postOrder(s, { lead_id: 'nobody', amount: 1, currency: 'USD' }), 404, 'not_found');
    expectError(await postOrder(s, { lead_id: 'ann', order_id: 'N-1', amount: 2, currency: 'USD' }), 409, 'conflict');
    expectError(await postOrder(s, { lead_id: 'ann', amount: 2, currency: 'USD', metadata: { blob: 'x'.repeat(110 * 1024) } }), 413, 'payload_too_large');
    const all = (await get(s, '/leads/ann/activity?range=all')).json();
    expect(all.orders).toHaveLength(1);
  });

  it('follows a lead merge: the source’s orders show in the target’s activity', async () => {
    const w = await world();
    const merged = await ctx.app.inject({ method: 'POST', url: '/leads/merge', headers: w.s.headers, payload: { targetLeadId: 'ann', sourceLeadIds: ['other'] } });
    expect(merged.statusCode, merged.body).toBe(200);
    const all = (await get(w.s, '/leads/ann/activity?range=all')).json();
    expect(all.orders.map((o: { lead_id: string; amount: number }) => [o.lead_id, o.amount])).toEqual([['ann', 5], ['ann', 99.5], ['ann', 10]]);
  });
});
