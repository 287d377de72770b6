import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead, putSurge, type EventInput } from '../helpers/scoring-factory.js';
import { createScoringWorker } from '../../src/modules/scoring-worker/scoring-worker.js';
import { fireTriggersLive } from '../../src/modules/triggers/trigger-live.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false', ALLOW_PRIVATE_WEBHOOKS: 'true' });

const call = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function create(s: Session, path: string, body: Record<string, unknown>): Promise<string> {
  const res = await call(s, 'POST', path, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().trigger_id as string;
}

/** A new OU with surge off and the rules demo=50, page_view=5, a/b/c/x/y=1. */
async function ou(): Promise<Session> {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 50 });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 5 });
  for (const t of ['a', 'b', 'c', 'x', 'y']) await createRule(ctx.app, s, { event_type: t, weight: 1 });
  return s;
}

const T0 = Date.parse('2026-11-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const evs = (...list: Array<[string, number]>): EventInput[] => list.map(([type, s]) => ({ type, at: at(s) }));

async function score(s: Session, leadId: string, events: EventInput[]): Promise<string[]> {
  const ids = await insertEvents(ctx.database.db, s, leadId, events);
  await ctx.app.scoringWorker.drain();
  return ids;
}

async function firings(s: Session, triggerId: string) {
  return ctx.database.db.selectFrom('trigger_firings').selectAll().where('org_id', '=', s.orgId).where('trigger_id', '=', triggerId).orderBy('event_seq').execute();
}

describe('milestone triggers', () => {
  let s: Session;
  beforeAll(async () => {
    s = await ou();
  });

  it('creates, lists, updates and deletes a milestone trigger', async () => {
    const id = await create(s, '/milestones', { event_type: 'demo', score_threshold: 100, webhook_url: 'https://hooks.example.com/x', emails: ['ops@example.com'] });
    const list = (await call(s, 'GET', '/milestones')).json();
    expect(list).toEqual([expect.objectContaining({ trigger_id: id, event_type: 'demo', score_threshold: 100, org_id: s.orgId, emails: ['ops@example.com'], name: 'demo ≥ 100' })]);
    const updated = await call(s, 'PUT', `/milestones/${id}`, { score_threshold: 120 });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ event_type: 'demo', score_threshold: 120, webhook_url: 'https://hooks.example.com/x' });
    expect((await call(s, 'DELETE', `/milestones/${id}`)).statusCode).toBe(204);
    expectError(await call(s, 'DELETE', `/milestones/${id}`), 404, 'not_found');
    expectError(await call(s, 'PUT', `/milestones/${id}`, { score_threshold: 1 }), 404, 'not_found');
    expect((await call(s, 'GET', '/milestones')).json()).toEqual([]);
  });

  it('refuses bad input with 400 and stores nothing', async () => {
    const bad = [
      {},
      { event_type: 'demo' },
      { event_type: '', score_threshold: 1 },
      { event_type: 'demo', score_threshold: 1.5 },
      { event_type: 'demo', score_threshold: 1, webhook_url: 'ftp://example.com/x' },
      { event_type: 'demo', score_threshold: 1, webhook_url: 'not a url' },
      { event_type: 'demo', score_threshold: 1, emails: ['nope'] },
      { event_type: 'demo', score_threshold: 1, slack_target_kind: 'channel' },
    ];
    for (const body of bad) expectError(await call(s, 'POST', '/milestones', body), 400, 'validation_failed');
    expectError(await call(s, 'PUT', '/milestones/not-a-uuid', { score_threshold: 1 }), 400, 'validation_failed');
    expect((await call(s, 'GET', '/milestones')).json()).toEqual([]);
  });

  it('fires once per lead, on the event of its type whose primary score reaches the threshold', async () => {
    const id = await create(s, '/milestones', { event_type: 'demo', score_threshold: 100 });
    const lead = await insertLead(ctx.database.db, s);
    // demo → 50 (below), page_view → 55 (other type), demo → 105 (fires), demo → 155 (already fired)
    const ids = await score(s, lead, evs(['demo', 0], ['page_view', 1], ['demo', 2], ['demo', 3]));
    const [f] = await firings(s, id);
    expect(await firings(s, id)).toHaveLength(1);
    expect(f).toMatchObject({ lead_id: lead, event_id: ids[2], score: 105, delivered: true, kind: 'milestone' });
    await score(s, lead, evs(['demo', 10]));
    expect(await firings(s, id)).toHaveLength(1);

    const listed = await call(s, 'GET', `/milestones/events?trigger_id=${id}`);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toEqual([expect.objectContaining({ trigger_id: id, lead_id: lead, event_id: ids[2], score: 105, event_type: 'demo', delivered: true, occurred_at: at(2).toISOString() })]);
    expect((await call(s, 'GET', `/milestones/events?lead_id=nobody`)).json()).toEqual([]);
  });

  it('fires across batches: a lead crossing the threshold in a later pass fires then', async () => {
    const id = await create(s, '/milestones', { event_type: 'page_view', score_threshold: 60 });
    const lead = await insertLead(ctx.database.db, s);
    await score(s, lead, evs(['demo', 0]));
    await score(s, lead, evs(['page_view', 1]));
    expect(await firings(s, id)).toHaveLength(0);
    await score(s, lead, evs(['page_view', 2]));
    expect((await firings(s, id)).map((f) => f.score)).toEqual([60]);
  });

  it('sees every change to the OU\'s triggers from the next batch, also one another process made in the database', async () => {
    // The worker keeps the OU's triggers between batches (trigger-cache.ts); these changes bypass this
    // process's routes, as another server's would, and each must count for the very next batch.
    const d = await ou();
    const db = ctx.database.db;
    const id = await create(d, '/milestones', { event_type: 'demo', score_threshold: 50 });
    const fired = async (triggerId: string) => (await firings(d, triggerId)).map((f) => f.lead_id);
    const lead1 = await insertLead(db, d);
    await score(d, lead1, evs(['demo', 0]));
    expect(await fired(id)).toEqual([lead1]);

    await db.updateTable('triggers').set({ score_threshold: 200 }).where('org_id', '=', d.orgId).where('id', '=', id).execute();
    const lead2 = await insertLead(db, d);
    await score(d, lead2, evs(['demo', 0], ['demo', 1]));
    expect(await fired(id)).toEqual([lead1]);

    // A trigger on a type no cached trigger listens to (the batch needs no context read without it).
    const views = await db.insertInto('triggers').values({ org_id: d.orgId, unit_id: d.unitId, kind: 'milestone', event_type: 'page_view', score_threshold: 5 }).returning('id').executeTakeFirstOrThrow();
    const lead3 = await insertLead(db, d);
    await score(d, lead3, evs(['page_view', 0]));
    expect(await fired(views.id)).toEqual([lead3]);

    await db.updateTable('triggers').set({ active: false }).where('org_id', '=', d.orgId).where('id', '=', views.id).execute();
    await db.updateTable('triggers').set({ score_threshold: 100 }).where('org_id', '=', d.orgId).where('id', '=', id).execute();
    const lead4 = await insertLead(db, d);
    await score(d, lead4, evs(['page_view', 0], ['demo', 1]));
    expect(await fired(views.id)).toEqual([lead3]);
    expect(await fired(id)).toEqual([lead1]);
    await score(d, lead4, evs(['demo', 2]));
    expect(await fired(id)).toEqual([lead1, lead4]);

    await db.deleteFrom('triggers').where('org_id', '=', d.orgId).where('id', '=', id).execute();
    const again = await db.insertInto('triggers').values({ org_id: d.orgId, unit_id: d.unitId, kind: 'milestone', event_type: 'demo', score_threshold: 1000 }).returning('id').executeTakeFirstOrThrow();
    const lead5 = await insertLead(db, d);
    await score(d, lead5, evs(['demo', 0], ['demo', 1]));
    expect(await db.selectFrom('trigger_firings').select('lead_id').where('org_id', '=', d.orgId).where('lead_id', '=', lead5).execute()).toEqual([]);
    expect(await fired(again.id)).toEqual([]);
  });

  it('commits a firing and its deliveries with the score that caused them: a pass rolled back leaves none of them', async () => {
    const d = await ou();
    const id = await create(d, '/milestones', { event_type: 'demo', score_threshold: 50, webhook_url: 'https://hooks.example.com/tx' });
    const lead = await insertLead(ctx.database.db, d);
    await insertEvents(ctx.database.db, d, lead, evs(['demo', 0]));
    let crash = true;
    const worker = createScoringWorker({
      database: ctx.database,
      log: ctx.app.log,
      afterScoring: fireTriggersLive,
      beforeCommit: () => {
        if (crash) throw new Error('crash before commit');
      },
    });
    const rows = () => Promise.all(['event_scores', 'trigger_firings', 'deliveries'].map(async (table) => (await ctx.database.db.selectFrom(table as 'deliveries').select('org_id').where('org_id', '=', d.orgId).execute()).length));
    await expect(worker.runOnce()).rejects.toThrow('crash before commit');
    expect(await rows()).toEqual([0, 0, 0]);
    crash = false;
    await worker.drain();
    // One ruleset (the primary): one event score, one firing, one webhook delivery.
    expect(await rows()).toEqual([1, 1, 1]);
    expect((await firings(d, id)).map((f) => f.score)).toEqual([50]);
  });

  it('records a firing without deliveries when the event type is in decide scope', async () => {
    const d = await ou();
    const put = await call(d, 'PUT', '/settings/event-types/demo', { max_processing_scope: 'decide' });
    expect(put.statusCode, put.body).toBe(200);
    const id = await create(d, '/milestones', { event_type: 'demo', score_threshold: 50, webhook_url: 'https://hooks.example.com/d' });
    const lead = await insertLead(ctx.database.db, d);
    await score(d, lead, evs(['demo', 0]));
    expect((await firings(d, id)).map((f) => f.delivered)).toEqual([false]);
    const deliveries = await ctx.database.db.selectFrom('deliveries').select('id').where('org_id', '=', d.orgId).execute();
    expect(deliveries).toEqual([]);
  });

  it('writes one delivery per action of a firing in activate scope', async () => {
    const d = await ou();
    const id = await create(d, '/milestones', { event_type: 'demo', score_threshold: 50, webhook_url: 'https://hooks.example.com/d', emails: ['a@example.com'], slack_target_kind: 'default' });
    const lead = await insertLead(ctx.database.db, d);
    await score(d, lead, evs(['demo', 0]));
    const rows = await ctx.database.db.selectFrom('deliveries').selectAll().where('org_id', '=', d.orgId).orderBy('kind').execute();
    expect(rows.map((r) => [r.kind, r.status, r.trigger_id, r.lead_id])).toEqual([
      ['email', 'pending', id, lead],
      ['slack', 'pending', id, lead],
      ['webhook', 'pending', id, lead],
    ]);
    expect(rows[2]?.target).toEqual({ url: 'https://hooks.example.com/d' });
    const [firing] = await firings(d, id);
    const payload = {
      type: 'milestone.fired', firing_id: firing?.id, trigger: { id, kind: 'milestone', name: 'demo ≥ 50' }, org_id: d.orgId, unit_id: d.unitId,
      lead_id: lead, event: { id: firing?.event_id, event_type: 'demo', occurred_at: at(0).toISOString() }, score: 50, fired_at: expect.any(String),
    };
    // One payload per firing, the same for each of its actions, with the firing's ids and the event's time as ISO-8601.
    for (const row of rows) expect(row.payload).toEqual(payload);
    expect(rows[0]?.target).toEqual({ to: ['a@example.com'], subject: null, preheader: null, message: null });
    expect(rows[1]?.target).toEqual({ target_kind: 'default', target_id: null });
    const firedAt = (rows[0]?.payload as { fired_at: string }).fired_at;
    expect(new Date(firedAt).toISOString()).toBe(firedAt);
  });

  it('simulates over history without recording or delivering', async () => {
    const d = await ou();
    const lead = await insertLead(ctx.database.db, d, 'sim-lead');
    const other = await insertLead(ctx.database.db, d, 'sim-other');
    const now = Date.now();
    await score(d, lead, [{ type: 'demo', at: new Date(now - 3 * 86_400_000) }, { type: 'demo', at: new Date(now - 2 * 86_400_000) }]);
    await score(d, other, [{ type: 'demo', at: new Date(now - 86_400_000) }]);
    const id = await create(d, '/milestones', { event_type: 'demo', score_threshold: 100, webhook_url: 'https://hooks.example.com/s' });
    const all = await call(d, 'POST', `/milestones/${id}/simulate`, {});
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toMatchObject({ would_fire: true, total_matches: 1, matched_leads: [{ lead_id: 'sim-lead', score: 100 }] });
    expect((await call(d, 'POST', `/milestones/${id}/simulate`, { lead_id: 'sim-other' })).json()).toMatchObject({ would_fire: false, total_matches: 0 });
    // Only the last day: sim-lead's 100 was reached two days ago.
    expect((await call(d, 'POST', `/milestones/${id}/simulate`, { days: 1 })).json()).toMatchObject({ would_fire: false, total_matches: 0 });
    expectError(await call(d, 'POST', `/milestones/${id}/simulate`, { lead_id: 'nobody' }), 404, 'not_found');
    expectError(await call(d, 'POST', `/milestones/${id}/simulate`, { days: 0 }), 400, 'validation_failed');
    expect(await firings(d, id)).toEqual([]);
    expect(await ctx.database.db.selectFrom('deliveries').select('id').where('org_id', '=', d.orgId).execute()).toEqual([]);
  });

  it('exports emitted events as CSV with formula cells neutralized', async () => {
    const d = await ou();
    const id = await create(d, '/milestones', { event_type: 'demo', score_threshold: 50, name: '=HYPERLINK("x")' });
    const lead = await insertLead(ctx.database.db, d, '@evil');
    const [eventId] = await score(d, lead, evs(['demo', 0]));
    const res = await call(d, 'GET', '/milestones/events/export');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe('id,trigger_id,trigger_name,lead_id,event_id,event_type,score,delivered,occurred_at,fired_at');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${id},"'=HYPERLINK(""x"")",'@evil,${eventId},demo,50,true,${at(0).toISOString()},`);
    expectError(await call(d, 'GET', '/milestones/events/export?start=yesterday'), 400, 'validation_failed');
  });
});
