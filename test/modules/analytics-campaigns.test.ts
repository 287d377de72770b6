import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addAlias, createLead, insertDeal } from '../helpers/analytics-factory.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, putSurge } from '../helpers/scoring-factory.js';

const ACC1 = '00000000-0000-4000-8000-0000000000a1';
const ACC2 = '00000000-0000-4000-8000-0000000000a2';
const ACC3 = '00000000-0000-4000-8000-0000000000a3';
const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const get = (s: Session, url: string) => ctx.app.inject({ method: 'GET', url, headers: s.headers });
const utm = (campaign: unknown, source?: string, medium?: string) => ({ utm_campaign: campaign, ...(source && { utm_source: source }), ...(medium && { utm_medium: medium }) });

/**
 * Rules demo 30 / page_view 10, surge off, default levels (Cold 0–39, Warm 40–79, Hot 80+).
 * Final primary scores: ana 30+10+10+30 = 80 Hot, bo 10+10+30 = 50 Warm, cy 10+30 = 40 Warm, di 30 Cold.
 * Deals: acc-1 negotiation 1000 (older) and Closed_Won 500 (newer); acc-2 closedwon 2000; acc-3 (no lead) 9999.
 */
async function world() {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 30 });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
  const db = ctx.database.db;
  await createLead(ctx.app, s, 'ana', { account_id: ACC1, metadata: { first_name: 'Ana', last_name: 'Lee', title: 'CMO', company: 'Acme' } });
  await createLead(ctx.app, s, 'bo', { account_id: ACC1, metadata: { firstname: 'Bo', lastname: 'Ng', title: 7 } });
  await createLead(ctx.app, s, 'cy', { account_id: ACC2 });
  await createLead(ctx.app, s, 'di');
  await addAlias(db, s, 'ana', 'email', 'ana@x.example');
  await addAlias(db, s, 'bo', 'cookie', 'ck-bo');
  await addAlias(db, s, 'bo', 'phone', '+15550001');
  await addAlias(db, s, 'di', 'external_id', 'ext-di');
  await addAlias(db, s, 'di', 'email', 'di@x.example');
  await insertEvents(db, s, 'ana', [
    { type: 'demo', at: '2026-03-02T10:00:00Z', metadata: utm('spring', 'linkedin', 'paid') },
    { type: 'page_view', at: '2026-03-05T10:00:00Z', metadata: utm('spring', 'google', 'cpc') },
    { type: 'page_view', at: '2026-03-06T10:00:00Z' },
    { type: 'demo', at: '2026-03-07T10:00:00Z', metadata: { utm_campaign: '' } },
  ]);
  await insertEvents(db, s, 'bo', [
    { type: 'page_view', at: '2026-03-03T09:00:00Z', metadata: utm('spring', 'linkedin', 'paid') },
    // A normalized pair: the raw row (earliest of all, never scored) is left out, the canonical counts.
    { type: 'pv', at: '2026-03-01T00:00:00Z', metadata: utm('spring'), normalized: true, normalizedParent: false },
    { type: 'page_view', at: '2026-03-04T00:00:00Z', metadata: utm('spring'), normalized: true, normalizedParent: true },
    { type: 'demo', at: '2026-03-08T00:00:00Z', metadata: { utm_campaign: 42 } },
  ]);
  await insertEvents(db, s, 'cy', [
    { type: 'page_view', at: '2026-03-10T12:00:00Z', metadata: utm('Spring', 'LinkedIn') },
    { type: 'demo', at: '2026-02-20T12:00:00Z', metadata: utm('fall', 'linkedin') },
  ]);
  await insertEvents(db, s, 'di', [{ type: 'demo', at: '2026-03-31T23:30:00Z', metadata: utm('spring') }]);
  await ctx.app.scoringWorker.drain();
  await insertDeal(db, s, { name: 'D1', stage: 'negotiation', amount: 1000, account_id: ACC1, created_at: '2026-01-01T00:00:00Z' });
  await insertDeal(db, s, { name: 'D2', stage: 'Closed_Won', amount: 500, account_id: ACC1, created_at: '2026-02-01T00:00:00Z' });
  await insertDeal(db, s, { name: 'D3', stage: 'closedwon', amount: 2000.5, account_id: ACC2, created_at: '2026-01-01T00:00:00Z' });
  await insertDeal(db, s, { name: 'D4', stage: 'closedwon', amount: 9999, account_id: ACC3, created_at: '2026-01-01T00:00:00Z' });
  return s;
}

const row = (name: string, n: number[], deals: [number, number, number], first: string, last: string) => ({
  name,
  total_events: n[0],
  unique_leads: n[1],
  mql_count: n[2],
  total_points: n[3],
  deals_count: deals[0],
  pipeline_value: deals[1],
  closed_won_value: deals[2],
  first_event_at: first,
  last_event_at: last,
});

describe('GET /analytics/campaigns', () => {
  it('aggregates every field per campaign over March (bare end date = whole day), most events first', async () => {
    const s = await world();
    const res = await get(s, '/analytics/campaigns?start_date=2026-03-01&end_date=2026-03-31');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      group_by: 'campaign',
      campaigns: [
        // ana demo 30 + pv 10, bo pv 10 + canonical 10, di demo 30; MQL ana (Hot) + bo (Warm); deals D1 + D2 via acc-1.
        row('spring', [5, 3, 2, 90], [2, 1500, 500], '2026-03-02T10:00:00.000Z', '2026-03-31T23:30:00.000Z'),
        row('Spring', [1, 1, 1, 10], [1, 2000.5, 2000.5], '2026-03-10T12:00:00.000Z', '2026-03-10T12:00:00.000Z'),
      ],
    });
  });

  it('counts every time without bounds; ties order by name (byte order)', async () => {
    const s = await world();
    const body = (await get(s, '/analytics/campaigns')).json();
    expect(body.campaigns.map((c: { name: string; total_events: number }) => [c.name, c.total_events])).toEqual([
      ['spring', 5],
      ['Spring', 1],
      ['fall', 1],
    ]);
    expect(body.campaigns[2]).toEqual(row('fall', [1, 1, 1, 30], [1, 2000.5, 2000.5], '2026-02-20T12:00:00.000Z', '2026-02-20T12:00:00.000Z'));
  });

  it('takes RFC3339 bounds as instants (end inclusive) and a bare start as midnight', async () => {
    const s = await world();
    const before = (await get(s, '/analytics/campaigns?end_date=2026-03-31T23:00:00Z&start_date=2026-03-01T00:00:00Z')).json();
    expect(before.campaigns[0]).toEqual(row('spring', [4, 2, 2, 60], [2, 1500, 500], '2026-03-02T10:00:00.000Z', '2026-03-05T10:00:00.000Z'));
    const exact = (await get(s, '/analytics/campaigns?start_date=2026-03-31T23:30:00Z&end_date=2026-03-31T23:30:00Z')).json();
    expect(exact.campaigns).toEqual([row('spring', [1, 1, 0, 30], [0, 0, 0], '2026-03-31T23:30:00.000Z', '2026-03-31T23:30:00.000Z')]);
    const from = (await get(s, '/analytics/campaigns?start_date=2026-03-03')).json();
    expect(from.campaigns[0]).toEqual(row('spring', [4, 3, 2, 60], [2, 1500, 500], '2026-03-03T09:00:00.000Z', '2026-03-31T23:30:00.000Z'));
  });

  it('groups by source or medium, and falls back to campaign for an unknown group_by', async () => {
    const s = await world();
    const source = (await get(s, '/analytics/campaigns?group_by=source&start_date=2026-03-01&end_date=2026-03-31')).json();
    expect(source).toEqual({
      group_by: 'source',
      campaigns: [
        row('linkedin', [2, 2, 2, 40], [2, 1500, 500], '2026-03-02T10:00:00.000Z', '2026-03-03T09:00:00.000Z'),
        row('LinkedIn', [1, 1, 1, 10], [1, 2000.5, 2000.5], '2026-03-10T12:00:00.000Z', '2026-03-10T12:00:00.000Z'),
        row('google', [1, 1, 1, 10], [2, 1500, 500], '2026-03-05T10:00:00.000Z', '2026-03-05T10:00:00.000Z'),
      ],
    });
    const medium = (await get(s, '/analytics/campaigns?group_by=Medium')).json();
    expect(medium.group_by).toBe('medium');
    expect(medium.campaigns.map((c: { name: string; total_events: number }) => [c.name, c.total_events])).toEqual([['paid', 2], ['cpc', 1]]);
    const fallback = (await get(s, '/analytics/campaigns?group_by=region')).json();
    expect(fallback.group_by).toBe('campaign');
    expect(fallback.campaigns).toHaveLength(3);
  });

  it('answers an empty list for an empty window and for an OU without tagged events', async () => {
    const s = await world();
    expect((await get(s, '/analytics/campaigns?start_date=2027-01-01')).json()).toEqual({ group_by: 'campaign', campaigns: [] });
    const other = await signup(ctx.app);
    expect((await get(other, '/analytics/campaigns')).json()).toEqual({ group_by: 'campaign', campaigns: [] });
  });

  it('answers 400 to a garbage or reversed date', async () => {
    const s = await world();
    for (const q of ['start_date=yesterday', 'end_date=2026-13-45', 'end_date=31/03/2026', 'start_date=']) {
      const body = expectError(await get(s, `/analytics/campaigns?${q}`), 400, 'validation_failed');
      expect(body.details?.[0]?.field).toMatch(/^querystring\.(start|end)_date$/);
    }
    expectError(await get(s, '/analytics/campaigns?start_date=2026-04-01&end_date=2026-03-31'), 400, 'validation_failed');
    expectError(await get(s, '/analytics/campaigns/spring/leads?start_date=2026-03-02&end_date=2026-03-01'), 400, 'validation_failed');
  });
});

const lead = (over: Record<string, unknown>) => ({
  display_name: null,
  email: null,
  first_name: null,
  last_name: null,
  title: null,
  company: null,
  level: null,
  account_id: null,
  account_name: null,
  deal_stage: null,
  deal_amount: null,
  ...over,
});

describe('GET /analytics/campaigns/{campaign_name}/leads', () => {
  it('lists the campaign leads with every field, most recent first touch first', async () => {
    const s = await world();
    const res = await get(s, '/analytics/campaigns/spring/leads?start_date=2026-03-01&end_date=2026-03-31');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      campaign_name: 'spring',
      leads: [
        lead({ lead_id: 'di', display_name: 'di@x.example', email: 'di@x.example', score: 30, level: 'Cold', first_touch_at: '2026-03-31T23:30:00.000Z', last_touch_at: '2026-03-31T23:30:00.000Z' }),
        // Phone comes before cookie; the raw row of the pair (03-01) is not a touch; title 7 is no string.
        lead({ lead_id: 'bo', display_name: '+15550001', first_name: 'Bo', last_name: 'Ng', score: 50, level: 'Warm', account_id: ACC1, deal_stage: 'Closed_Won', deal_amount: 500, first_touch_at: '2026-03-03T09:00:00.000Z', last_touch_at: '2026-03-04T00:00:00.000Z' }),
        lead({ lead_id: 'ana', display_name: 'ana@x.example', email: 'ana@x.example', first_name: 'Ana', last_name: 'Lee', title: 'CMO', company: 'Acme', score: 80, level: 'Hot', account_id: ACC1, deal_stage: 'Closed_Won', deal_amount: 500, first_touch_at: '2026-03-02T10:00:00.000Z', last_touch_at: '2026-03-05T10:00:00.000Z' }),
      ],
    });
  });

  it('matches the exact value (case and spaces), the chosen grouping and the window', async () => {
    const s = await world();
    const upper = (await get(s, '/analytics/campaigns/Spring/leads')).json();
    expect(upper.leads).toEqual([
      lead({ lead_id: 'cy', score: 40, level: 'Warm', account_id: ACC2, deal_stage: 'closedwon', deal_amount: 2000.5, first_touch_at: '2026-03-10T12:00:00.000Z', last_touch_at: '2026-03-10T12:00:00.000Z' }),
    ]);
    const bySource = (await get(s, '/analytics/campaigns/linkedin/leads?group_by=source')).json();
    expect(bySource.leads.map((l: { lead_id: string; first_touch_at: string }) => [l.lead_id, l.first_touch_at])).toEqual([
      ['bo', '2026-03-03T09:00:00.000Z'],
      ['cy', '2026-02-20T12:00:00.000Z'],
      ['ana', '2026-03-02T10:00:00.000Z'],
    ].sort((a, b) => (b[1] as string).localeCompare(a[1] as string)));
    expect((await get(s, '/analytics/campaigns/spring/leads?end_date=2026-03-02')).json().leads.map((l: { lead_id: string }) => l.lead_id)).toEqual(['ana']);
    expect((await get(s, '/analytics/campaigns/nothing%20here/leads')).json()).toEqual({ campaign_name: 'nothing here', leads: [] });
  });

  it('answers 400 to an unknown group_by and to an empty campaign name', async () => {
    const s = await world();
    expectError(await get(s, '/analytics/campaigns/spring/leads?group_by=region'), 400, 'validation_failed');
    const body = expectError(await get(s, '/analytics/campaigns//leads'), 400, 'validation_failed');
    expect(body.details).toEqual([{ field: 'params.campaign_name', message: 'campaign_name is required' }]);
  });

  it('caps the answer at 500 leads, newest first touch first', async () => {
    const s = await signup(ctx.app);
    const db = ctx.database.db;
    await sql`insert into leads (org_id, unit_id, id) select ${s.orgId}, ${s.unitId}, 'bulk-' || n from generate_series(1, 502) n`.execute(db);
    await sql`insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at)
      select ${s.orgId}, ${s.unitId}, 'bulk-' || n, 'page_view', 'web', '{"utm_campaign":"big"}'::jsonb, timestamptz '2026-01-01' + n * interval '1 minute'
        from generate_series(1, 502) n`.execute(db);
    const body = (await get(s, '/analytics/campaigns/big/leads')).json();
    expect(body.leads).toHaveLength(500);
    expect(body.leads[0].lead_id).toBe('bulk-502');
    expect(body.leads[499].lead_id).toBe('bulk-3');
    expect((await get(s, '/analytics/campaigns')).json().campaigns[0]).toMatchObject({ name: 'big', total_events: 502, unique_leads: 502, mql_count: 0 });
  });
});
