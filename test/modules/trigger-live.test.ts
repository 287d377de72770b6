import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriggerFired } from '../../src/live/live-hub.js';
import { createScoringWorker } from '../../src/modules/scoring-worker/scoring-worker.js';
import { fireTriggersLive } from '../../src/modules/triggers/trigger-live.js';
import { setupTestApp } from '../helpers/app.js';
import { activeOuCookie, signup, type Session } from '../helpers/factories.js';
import { createRule, putSurge } from '../helpers/scoring-factory.js';
import { listenLocally, openStream, type OpenStream } from '../helpers/sse.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false', ALLOW_PRIVATE_WEBHOOKS: 'true' });
let base = '';

beforeAll(async () => {
  base = await listenLocally(ctx.app);
});
afterAll(async () => {
  await ctx.app.close();
});

const call = (s: Session, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

/** A new OU with surge off and the rule demo=50. */
async function ou(): Promise<Session> {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 50 });
  return s;
}

async function milestone(s: Session, body: Record<string, unknown>): Promise<string> {
  const res = await call(s, 'POST', '/milestones', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().trigger_id as string;
}

async function ingest(s: Session, email: string, eventType = 'demo'): Promise<{ event_id: string; lead_id: string }> {
  const res = await call(s, 'POST', '/events', { aliases: [{ alias_kind: 'email', raw_value: email }], event_type: eventType });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().metadata;
}

/** The admin's session with `unitId` as its active OU (it belongs to several). */
async function inUnit(admin: Session, unitId: string): Promise<Session> {
  const { activeOu } = await activeOuCookie(ctx.app, admin, unitId);
  return { ...admin, unitId, headers: { ...admin.headers, cookie: `activeOu=${activeOu}` } };
}

/** The data of every `event: <name>` frame received so far. */
function frames<T>(stream: OpenStream, name: string): T[] {
  return stream
    .text()
    .split('\n\n')
    .filter((f) => f.startsWith(`event: ${name}\n`))
    .map((f) => JSON.parse(f.slice(f.indexOf('\ndata: ') + 7)) as T);
}

const hasFrame = (name: string, needle: string) => (text: string) => text.split('\n\n').some((f) => f.startsWith(`event: ${name}\n`) && f.includes(needle));

describe('trigger_fired on GET /stream', () => {
  it('publishes a firing with its fields after the commit, nothing for an event that fires none, nothing to another OU', async () => {
    const admin = await ou();
    const trigger = await milestone(admin, { event_type: 'demo', score_threshold: 100, webhook_url: 'https://hooks.example.com/live', emails: ['ops@example.com'] });
    // A second OU of the same organization, with the same rule and trigger: the admin now picks an OU per request.
    const second = await call(admin, 'POST', '/org-units', { name: 'Second' });
    expect(second.statusCode, second.body).toBe(201);
    const secondUnit = second.json().unit_id as string;
    const s = await inUnit(admin, admin.unitId);
    const t = await inUnit(admin, secondUnit);
    await createRule(ctx.app, t, { event_type: 'demo', weight: 50 });
    await milestone(t, { event_type: 'demo', score_threshold: 50 });
    const stream = await openStream(base, s.headers);
    const elsewhere = await openStream(base, t.headers);
    await Promise.all([stream, elsewhere].map((x) => x.waitFor((t) => t.includes(': connected'))));

    const first = await ingest(s, 'crosser@live.io');
    await ctx.app.scoringWorker.drain();
    await stream.waitFor(hasFrame('score_update', '"score":50'));
    expect(frames(stream, 'trigger_fired')).toEqual([]);

    const before = Date.now();
    const crossing = await ingest(s, 'crosser@live.io');
    expect(crossing.lead_id).toBe(first.lead_id);
    await ctx.app.scoringWorker.drain();
    await stream.waitFor(hasFrame('trigger_fired', crossing.event_id));
    const listed = await call(s, 'GET', `/milestones/events?trigger_id=${trigger}`);
    expect(listed.statusCode, listed.body).toBe(200);
    const [stored] = listed.json() as Array<{ id: string; occurred_at: string }>;
    const [fired] = frames<TriggerFired>(stream, 'trigger_fired');
    expect(fired).toEqual({
      firing_id: stored?.id,
      trigger_id: trigger,
      trigger_name: 'demo ≥ 100',
      kind: 'milestone',
      lead_id: first.lead_id,
      event_id: crossing.event_id,
      event_type: 'demo',
      score: 100,
      delivered: true,
      deliveries: 2,
      occurred_at: stored?.occurred_at,
      fired_at: expect.any(String),
    });
    expect(Date.parse(fired?.fired_at ?? '')).toBeGreaterThanOrEqual(before);
    expect(Date.parse(fired?.fired_at ?? '')).toBeLessThanOrEqual(Date.now());

    // The other OU's stream sees its own firing only; this OU's stream never sees it.
    const inSecond = await ingest(t, 'b@live.io');
    await ctx.app.scoringWorker.drain();
    await elsewhere.waitFor(hasFrame('trigger_fired', inSecond.event_id));
    expect(frames<TriggerFired>(elsewhere, 'trigger_fired').map((f) => f.event_id)).toEqual([inSecond.event_id]);
    expect(elsewhere.text()).not.toContain(first.lead_id);
    const mark = await ingest(s, 'mark@live.io', 'page_view');
    await stream.waitFor(hasFrame('event_ingested', mark.event_id));
    expect(frames<TriggerFired>(stream, 'trigger_fired').map((f) => f.event_id)).toEqual([crossing.event_id]);
    stream.close();
    elsewhere.close();
  });

  it('says a decide-scope firing delivered nothing', async () => {
    const s = await ou();
    const put = await call(s, 'PUT', '/settings/event-types/demo', { max_processing_scope: 'decide' });
    expect(put.statusCode, put.body).toBe(200);
    await milestone(s, { event_type: 'demo', score_threshold: 50, webhook_url: 'https://hooks.example.com/quiet' });
    const stream = await openStream(base, s.headers);
    await stream.waitFor((t) => t.includes(': connected'));
    const e = await ingest(s, 'quiet@live.io');
    await ctx.app.scoringWorker.drain();
    await stream.waitFor(hasFrame('trigger_fired', e.event_id));
    expect(frames<TriggerFired>(stream, 'trigger_fired')).toEqual([expect.objectContaining({ event_id: e.event_id, score: 50, delivered: false, deliveries: 0 })]);
    stream.close();
  });

  it('publishes nothing of a firing rolled back with its savepoint or its pass; once, with the stored id, when it commits', async () => {
    const s = await ou();
    const trigger = await milestone(s, { event_type: 'demo', score_threshold: 50 });
    const stream = await openStream(base, s.headers);
    await stream.waitFor((t) => t.includes(': connected'));
    let failAfterFiring = false;
    let crash = true;
    const worker = createScoringWorker({
      database: ctx.database,
      log: ctx.app.log,
      live: ctx.app.live,
      afterScoring: async (trx, result) => {
        const messages = await fireTriggersLive(trx, result);
        if (failAfterFiring && messages && messages.length > 0) throw new Error('fails after writing its firing');
        return messages;
      },
      beforeCommit: () => {
        if (crash) throw new Error('crash before commit');
      },
    });
    const e = await ingest(s, 'rollback@live.io');
    // 1: the firing is written and kept by its savepoint, then the pass crashes before its commit.
    await expect(worker.runOnce()).rejects.toThrow('crash before commit');
    // 2: the firing is written, then its savepoint rolls back; the pass commits the event's failure record only.
    failAfterFiring = true;
    crash = false;
    expect(await worker.runOnce()).toBe(1);
    // 3: the retry fires and commits.
    failAfterFiring = false;
    await worker.drain();
    await stream.waitFor(hasFrame('trigger_fired', e.event_id));
    await stream.waitFor(hasFrame('score_update', '"score":50'));
    const listed = (await call(s, 'GET', `/milestones/events?trigger_id=${trigger}`)).json() as Array<{ id: string }>;
    expect(listed).toHaveLength(1);
    expect(frames<TriggerFired>(stream, 'trigger_fired').map((f) => f.firing_id)).toEqual([listed[0]?.id]);
    stream.close();
  });
});
