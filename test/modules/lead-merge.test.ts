import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });

const call = (s: Session, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function event(s: Session, leadId: string, eventType: string, extra: Record<string, unknown> = {}) {
  const res = await call(s, 'POST', '/events', { lead_id: leadId, event_type: eventType, ...extra });
  expect(res.statusCode, res.body).toBe(202);
}

const score = async (s: Session, leadId: string) => (await call(s, 'GET', `/leads/${leadId}/score`)).json().score as number;

/** An OU without surge, page_view 5 and demo 10, and the leads target, src-1, src-2 with scored events. */
async function mergeWorld() {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 5 });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 10 });
  for (const id of ['target', 'src-1', 'src-2']) expect((await call(s, 'POST', '/leads', { id })).statusCode).toBe(201);
  await event(s, 'target', 'page_view');
  await event(s, 'src-1', 'demo', { aliases: [{ alias_kind: 'email', raw_value: 'src1@example.com' }] });
  await event(s, 'target', 'page_view');
  await event(s, 'src-1', 'page_view');
  await event(s, 'src-2', 'demo', { timestamp: new Date(Date.now() - 3_600_000).toISOString() });
  await ctx.app.scoringWorker.drain();
  return s;
}

describe('POST /leads/merge', () => {
  it('moves events and aliases, marks the sources and rescores the target from scratch', async () => {
    const s = await mergeWorld();
    expect([await score(s, 'target'), await score(s, 'src-1'), await score(s, 'src-2')]).toEqual([10, 15, 10]);
    const res = await call(s, 'POST', '/leads/merge', { targetLeadId: 'target', sourceLeadIds: ['src-1', 'src-2'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      target: { id: 'target', merged_into: null },
      mergedSources: ['src-1', 'src-2'],
      movedEvents: 3,
      truncatedEvents: 0,
      rescore: { status: 'queued', queued_events: 5 },
    });
    await ctx.app.scoringWorker.drain();
    expect(await score(s, 'target')).toBe(35);
    expect(await score(s, 'src-1')).toBe(0);
    expect((await call(s, 'GET', '/leads/src-1')).json().lead.merged_into).toBe('target');
    expect((await call(s, 'GET', '/leads/target/events')).json()).toHaveLength(5);
    expect((await call(s, 'GET', '/leads/src-1/events')).json()).toHaveLength(0);
    expect((await call(s, 'GET', '/leads/target/aliases')).json().map((a: { value: string }) => a.value)).toEqual(['src1@example.com']);
    // The history was rebuilt in ingestion order: 5, 15, 20, 25, 35.
    const history = (await call(s, 'GET', '/score-history?lead_id=target')).json();
    expect(history.map((h: { score: number }) => h.score).sort((a: number, b: number) => a - b)).toEqual([5, 15, 20, 25, 35]);
    // Lists show survivors only; a source's alias resolves to the target.
    expect((await call(s, 'GET', '/leads')).json().leads.map((l: { lead_id: string }) => l.lead_id)).toEqual(['target']);
    const later = await call(s, 'POST', '/events', { event_type: 'demo', aliases: [{ alias_kind: 'email', raw_value: 'src1@example.com' }] });
    expect(later.json().metadata.lead_id).toBe('target');
    await ctx.app.scoringWorker.drain();
    expect(await score(s, 'target')).toBe(45);
  });

  it('keeps only the newest source events with keep_latest and deletes the others', async () => {
    const s = await mergeWorld();
    const res = await call(s, 'POST', '/leads/merge', {
      targetLeadId: 'target',
      sourceLeadIds: ['src-1', 'src-2'],
      truncate: { policy: 'keep_latest', max_events: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ movedEvents: 1, truncatedEvents: 2 });
    await ctx.app.scoringWorker.drain();
    // target's two page views and src-1's newest event (a page view).
    expect(await score(s, 'target')).toBe(15);
  });

  it('refuses merging into itself, unknown, foreign or merged leads and bad bodies, changing nothing', async () => {
    const s = await mergeWorld();
    const other = await signup(ctx.app);
    await call(other, 'POST', '/leads', { id: 'foreign' });
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    const state = async () => JSON.stringify(await Promise.all(['target', 'src-1', 'src-2'].map(async (id) => [
      (await call(s, 'GET', `/leads/${id}`)).json().lead.merged_into,
      await score(s, id),
      (await call(s, 'GET', `/leads/${id}/events`)).json().length,
    ])));
    const before = await state();
    const merge = (body: unknown, who = s) => ctx.app.inject({ method: 'POST', url: '/leads/merge', headers: who.headers, payload: body as object });
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['target'] }), 400, 'bad_request');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['src-1', 'src-1'] }), 400, 'validation_failed');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: [] }), 400, 'validation_failed');
    expectError(await merge({ targetLeadId: 'target' }), 400, 'validation_failed');
    expectError(await merge({ targetLeadId: 'bad id', sourceLeadIds: ['src-1'] }), 400, 'validation_failed');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['src-1'], truncate: { policy: 'keep_latest' } }), 400, 'validation_failed');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['src-1'], truncate: { policy: 'all' } }), 400, 'validation_failed');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['src-1', 'nobody'] }), 404, 'not_found');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['foreign'] }), 404, 'not_found');
    expectError(await merge({ targetLeadId: 'nobody', sourceLeadIds: ['src-1'] }), 404, 'not_found');
    expectError(await merge({ targetLeadId: 'target', sourceLeadIds: ['src-1'] }, viewer), 403, 'forbidden');
    expect(await state()).toBe(before);

    expect((await merge({ targetLeadId: 'target', sourceLeadIds: ['src-2'] })).statusCode).toBe(200);
    await ctx.app.scoringWorker.drain();
    const afterFirst = await state();
    expectError(await merge({ targetLeadId: 'src-2', sourceLeadIds: ['src-1'] }), 409, 'conflict');
    expectError(await merge({ targetLeadId: 'src-1', sourceLeadIds: ['src-2'] }), 409, 'conflict');
    expect(await state()).toBe(afterFirst);
  });

  it('deleting a target also removes the shells merged into it', async () => {
    const s = await mergeWorld();
    expect((await call(s, 'POST', '/leads/merge', { targetLeadId: 'target', sourceLeadIds: ['src-1'] })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'DELETE', url: '/leads/target', headers: s.headers })).statusCode).toBe(202);
    await ctx.app.jobs.drain();
    expectError(await call(s, 'GET', '/leads/src-1'), 404, 'not_found');
    expect((await call(s, 'GET', '/leads/src-2')).statusCode).toBe(200);
  });
});
