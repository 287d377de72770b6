import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { createLead } from '../helpers/analytics-factory.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const ACC_A = '00000000-0000-4000-8000-00000000000a';
const ACC_B = '00000000-0000-4000-8000-00000000000b';
const send = (s: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload }) });
const at = (m: number) => new Date(Date.UTC(2026, 2, 1, 0, m));

async function scored(s: Session, lead: string, types: string[]) {
  await insertEvents(ctx.database.db, s, lead, types.map((type, i) => ({ type, at: at(i) })));
  await ctx.app.scoringWorker.drain();
}

async function createDeal(s: Session, body: Record<string, unknown>) {
  const res = await send(s, 'POST', '/deals', { amount: 100, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { deal_id: string; milestone_scores: Array<{ lead_id: string; milestone: string; score: number }> };
}

async function patchDeal(s: Session, id: string, body: Record<string, unknown>) {
  const res = await send(s, 'PATCH', `/deals/${id}`, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const scores = (d: { milestone_scores: Array<{ lead_id: string; milestone: string; score: number }> }) => d.milestone_scores.map((m) => [m.milestone, m.lead_id, m.score]);

/** Surge off; demo 30, page_view 10, webinar 5 (email_open and chat score 0). Leads ann, ben on account A; dan on B; cat, eve alone. */
async function org() {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  for (const [event_type, weight] of [['demo', 30], ['page_view', 10], ['webinar', 5]] as const) await createRule(ctx.app, s, { event_type, weight });
  await createLead(ctx.app, s, 'ann', { account_id: ACC_A });
  await createLead(ctx.app, s, 'ben', { account_id: ACC_A });
  await createLead(ctx.app, s, 'cat');
  await createLead(ctx.app, s, 'dan', { account_id: ACC_B });
  await createLead(ctx.app, s, 'eve');
  return s;
}

/**
 * W1 (account A + cat) enters MQL at ann 10 / ben 10 / cat 0, opportunity at 40 / 20 / 30, close at
 * 40 / 50 / 30; W2 (account B + ann) is created closed-won at dan 5 / ann 40. L1 (eve) is SQL only,
 * O1 (ben) an opportunity: neither is closed-won.
 */
async function pipeline() {
  const s = await org();
  await scored(s, 'ann', ['page_view']);
  await scored(s, 'ben', ['page_view']);
  const w1 = await createDeal(s, { name: 'W1', stage: 'Marketing Qualified Lead', account_id: ACC_A, contact_lead_ids: ['cat'], amount: 5000 });
  await scored(s, 'ann', ['demo']);
  await scored(s, 'ben', ['page_view']);
  await scored(s, 'cat', ['demo', 'email_open']);
  await scored(s, 'dan', ['webinar', 'chat']);
  await patchDeal(s, w1.deal_id, { stage: 'proposal' });
  await scored(s, 'ben', ['demo']);
  const closed = await patchDeal(s, w1.deal_id, { stage: 'closed-won' });
  const w2 = await createDeal(s, { name: 'W2', stage: 'closed_won', account_id: ACC_B, contact_lead_ids: ['ann'] });
  await createDeal(s, { name: 'L1', stage: 'SQL', contact_lead_ids: ['eve'] });
  await createDeal(s, { name: 'O1', stage: 'Negotiation', contact_lead_ids: ['ben'] });
  await scored(s, 'eve', ['demo']);
  return { s, w1: w1.deal_id, w2: w2.deal_id, closed };
}

describe('milestone scores', () => {
  it('records each contact’s primary score once per deal and milestone, on entry', async () => {
    const { s, w1, closed } = await pipeline();
    expect(scores(closed)).toEqual([
      ['mql', 'ann', 10], ['mql', 'ben', 10], ['mql', 'cat', 0],
      ['opportunity', 'ann', 40], ['opportunity', 'ben', 20], ['opportunity', 'cat', 30],
      ['close', 'ann', 40], ['close', 'ben', 50], ['close', 'cat', 30],
    ]);
    expect(closed.closed_at).not.toBeNull();
    expect(closed.contacts).toEqual([
      { lead_id: 'ann', explicit: false, via_account: true },
      { lead_id: 'ben', explicit: false, via_account: true },
      { lead_id: 'cat', explicit: true, via_account: false },
    ]);
    // Leaving and re-entering milestones, with scores changed since, records nothing new.
    await scored(s, 'ann', ['demo']);
    await patchDeal(s, w1, { stage: 'MQL' });
    await patchDeal(s, w1, { stage: 'Closed Won' });
    expect(scores((await send(s, 'GET', `/deals/${w1}`)).json())).toEqual(scores(closed));
  });
});

describe('GET /deals/attribution-insights', () => {
  it('averages recorded scores over closed-won contacts and ranks event types by points', async () => {
    const { s } = await pipeline();
    const res = await send(s, 'GET', '/deals/attribution-insights');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      closed_won_deals: 2,
      avg_score_at_mql: 6.7, // (10 + 10 + 0) / 3
      avg_score_at_sql: null, // only L1 (not won) entered SQL
      avg_score_at_opportunity: 30, // (40 + 20 + 30) / 3
      avg_score_at_close: 33, // W1 40 + 50 + 30, W2 dan 5 + ann 40: 165 / 5
      top_event_types: [
        { event_type: 'demo', deal_count: 2, total_points: 90 }, // ann, ben, cat once each (eve is no contact)
        { event_type: 'page_view', deal_count: 2, total_points: 30 }, // ann 10, ben 10 + 10
        { event_type: 'webinar', deal_count: 1, total_points: 5 },
        { event_type: 'chat', deal_count: 1, total_points: 0 }, // tie on points and deals: by name
        { event_type: 'email_open', deal_count: 1, total_points: 0 },
      ],
    });
  });

  it('answers zeros and nulls without deals, and null averages for a won deal without contacts', async () => {
    const s = await org();
    const empty = { closed_won_deals: 0, avg_score_at_mql: null, avg_score_at_sql: null, avg_score_at_opportunity: null, avg_score_at_close: null, top_event_types: [] };
    expect((await send(s, 'GET', '/deals/attribution-insights')).json()).toEqual(empty);
    await createDeal(s, { name: 'Solo', stage: 'ClosedWon' });
    expect((await send(s, 'GET', '/deals/attribution-insights')).json()).toEqual({ ...empty, closed_won_deals: 1 });
  });

  it('lists at most 10 event types', async () => {
    const s = await org();
    await scored(s, 'cat', Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`));
    await createDeal(s, { name: 'Won', stage: 'closedwon', contact_lead_ids: ['cat'] });
    const types = (await send(s, 'GET', '/deals/attribution-insights')).json().top_event_types;
    expect(types.map((t: { event_type: string }) => t.event_type)).toEqual(['t00', 't01', 't02', 't03', 't04', 't05', 't06', 't07', 't08', 't09']);
  });
});

describe('deal CRUD', () => {
  it('creates, reads, lists by stage, updates and deletes a deal', async () => {
    const s = await org();
    const made = await createDeal(s, { name: 'Big', stage: 'Discovery', amount: 1234.56, account_id: ACC_A, contact_lead_ids: ['eve'], closed_at: '2026-03-01' });
    expect(made).toMatchObject({ name: 'Big', stage: 'Discovery', milestone: null, amount: 1234.56, account_id: ACC_A, contact_lead_ids: ['eve'], closed_at: '2026-03-01T00:00:00.000Z', milestone_scores: [] });
    await createDeal(s, { name: 'Other', stage: 'SQL' });
    const list = (await send(s, 'GET', '/deals?stage=discovery')).json();
    expect(list).toMatchObject({ total: 1, page: 1, limit: 50 });
    expect(list.deals.map((d: { name: string }) => d.name)).toEqual(['Big']);
    expect((await send(s, 'GET', '/deals?limit=1&page=2')).json()).toMatchObject({ total: 2, deals: [{ name: 'Big' }] });
    const patched = await patchDeal(s, made.deal_id, { name: 'Bigger', contact_lead_ids: ['cat'], account_id: null, amount: 10 });
    expect(patched).toMatchObject({ name: 'Bigger', stage: 'Discovery', amount: 10, account_id: null, contact_lead_ids: ['cat'], contacts: [{ lead_id: 'cat', explicit: true, via_account: false }] });
    expect((await send(s, 'DELETE', `/deals/${made.deal_id}`)).statusCode).toBe(204);
    expectError(await send(s, 'GET', `/deals/${made.deal_id}`), 404, 'not_found');
    expect((await ctx.database.db.selectFrom('deal_contacts').select('lead_id').where('deal_id', '=', made.deal_id).execute())).toEqual([]);
  });

  it('refuses bad input with 400, unknown leads and deals with 404, and stores nothing', async () => {
    const s = await org();
    for (const body of [{ stage: 'x', amount: 1 }, { name: 'x', stage: 'x', amount: -1 }, { name: 'x', stage: 'x', amount: 1, account_id: 'acc' }, { name: 'x', stage: 'x', amount: 1, contact_lead_ids: ['cat', 'cat'] }, { name: 'x', stage: 'x', amount: 1, closed_at: 'soon' }, { name: ' ', stage: 'x', amount: 1 }]) {
      expectError(await send(s, 'POST', '/deals', body), 400, 'validation_failed');
    }
    expectError(await send(s, 'POST', '/deals', { name: 'x', stage: 'closedwon', amount: 1, contact_lead_ids: ['nobody'] }), 404, 'not_found');
    expect((await send(s, 'GET', '/deals')).json().total).toBe(0);
    const missing = '00000000-0000-4000-8000-000000000000';
    expectError(await send(s, 'PATCH', `/deals/${missing}`, { name: 'y' }), 404, 'not_found');
    expectError(await send(s, 'DELETE', `/deals/${missing}`), 404, 'not_found');
    expectError(await send(s, 'GET', '/deals/not-a-uuid'), 400, 'validation_failed');
    expectError(await send(s, 'GET', '/deals?limit=0'), 400, 'validation_failed');
    const d = await createDeal(s, { name: 'D', stage: 'mql' });
    expectError(await send(s, 'PATCH', `/deals/${d.deal_id}`, { contact_lead_ids: ['nobody'] }), 404, 'not_found');
    expectError(await send(s, 'PATCH', `/deals/${d.deal_id}`, { amount: 'lots' }), 400, 'validation_failed');
    expect((await send(s, 'GET', `/deals/${d.deal_id}`)).json()).toMatchObject({ contact_lead_ids: [], amount: 100 });
  });

  it('moves explicit contacts to the target of a lead merge, one row per deal', async () => {
    const s = await org();
    const both = await createDeal(s, { name: 'Both', stage: 'Discovery', contact_lead_ids: ['cat', 'eve'] });
    const one = await createDeal(s, { name: 'One', stage: 'Discovery', contact_lead_ids: ['eve'] });
    const merged = await send(s, 'POST', '/leads/merge', { targetLeadId: 'cat', sourceLeadIds: ['eve'] });
    expect(merged.statusCode, merged.body).toBe(200);
    expect((await send(s, 'GET', `/deals/${both.deal_id}`)).json().contact_lead_ids).toEqual(['cat']);
    expect((await send(s, 'GET', `/deals/${one.deal_id}`)).json().contact_lead_ids).toEqual(['cat']);
  });
});
