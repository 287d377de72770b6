import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead } from '../helpers/scoring-factory.js';

// The worker runs, as with `npm start`: the seed waits for it before moving the sample deals.
const ctx = setupTestApp({ DELIVERY_WORKER: 'false' });

const post = (s: Session, url: string) => ctx.app.inject({ method: 'POST', url, headers: s.headers });

async function counts(s: Session) {
  const { rows } = await sql<{ leads: number; events: number; seed_events: number; rules: number; seed_rules: number; accounts: number }>`
    select (select count(*)::int from leads where unit_id = ${s.unitId}) as leads,
           (select count(*)::int from events where unit_id = ${s.unitId}) as events,
           (select count(*)::int from events where unit_id = ${s.unitId} and metadata ->> 'source' = 'seed') as seed_events,
           (select count(*)::int from scoring_rules where unit_id = ${s.unitId}) as rules,
           (select count(*)::int from scoring_rules where unit_id = ${s.unitId} and source = 'seed') as seed_rules,
           (select count(distinct account_id)::int from leads where unit_id = ${s.unitId} and metadata ->> 'source' = 'seed') as accounts`.execute(
    ctx.database.db,
  );
  return rows[0] as NonNullable<(typeof rows)[0]>;
}

let owner: Session;
let seeded: Awaited<ReturnType<typeof counts>>;
beforeAll(async () => {
  owner = await signup(ctx.app);
  // The OU's own data, which the sample must leave alone: a rule for page_view and a lead with an event.
  await createRule(ctx.app, owner, { event_type: 'page_view', weight: 2 });
  const mine = await insertLead(ctx.database.db, owner, 'my-lead');
  await insertEvents(ctx.database.db, owner, mine, [{ type: 'page_view', at: new Date() }]);
  const res = await post(owner, '/admin/seed');
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().message).toBe('sample data seeded into the active OU');
  expect(res.json().output).toContain('leads: 200');
  expect(res.json().output).toContain('scoring: done');
  seeded = await counts(owner);
  // The seed waits for the worker to score ~5,200 events (up to 60 s on a loaded machine).
}, 180_000);

describe('POST /admin/seed', () => {
  it('creates 200 leads over 20 accounts, ~5,000 tagged events over 90 days and the missing rules', async () => {
    expect(seeded.leads).toBe(201);
    expect(seeded.accounts).toBe(20);
    expect(seeded.seed_events).toBe(seeded.events - 1);
    expect(seeded.seed_events).toBeGreaterThan(4500);
    expect(seeded.seed_events).toBeLessThan(6000);
    // page_view had a rule already: the 7 other sample rules are added, tagged.
    expect(seeded.seed_rules).toBe(7);
    expect(seeded.rules).toBe(8);
    const { rows } = await sql<{ oldest: Date; newest: Date; campaigns: number; conversions: number; referred: number; emails: number }>`
      select min(occurred_at) as oldest, max(occurred_at) as newest,
             count(distinct metadata ->> 'utm_campaign')::int as campaigns,
             count(*) filter (where event_type in ('form_submit', 'demo_request'))::int as conversions,
             count(*) filter (where metadata ? 'referrer')::int as referred,
             count(*) filter (where channel = 'email')::int as emails
        from events where unit_id = ${owner.unitId} and metadata ->> 'source' = 'seed'`.execute(ctx.database.db);
    const r = rows[0] as NonNullable<(typeof rows)[0]>;
    const day = 86_400_000;
    expect(Date.now() - new Date(r.oldest).getTime()).toBeLessThanOrEqual(90 * day);
    expect(Date.now() - new Date(r.oldest).getTime()).toBeGreaterThan(80 * day);
    expect(new Date(r.newest).getTime()).toBeLessThanOrEqual(Date.now());
    expect(r.campaigns).toBeGreaterThanOrEqual(5);
    expect(r.conversions).toBeGreaterThan(50);
    expect(r.referred).toBeGreaterThan(300);
    expect(r.emails).toBeGreaterThan(200);
  });

  it('leads are scored by the worker into every engagement level, each lead with its email alias', async () => {
    const levels = await ctx.app.inject({ method: 'GET', url: '/leads?limit=300', headers: owner.headers });
    expect(levels.statusCode, levels.body).toBe(200);
    const { rows } = await sql<{ level: string; n: number }>`
      select s.level, count(*)::int as n from lead_scores s join leads l on l.unit_id = s.unit_id and l.id = s.lead_id
       where s.unit_id = ${owner.unitId} and l.metadata ->> 'source' = 'seed' group by s.level`.execute(ctx.database.db);
    const byLevel = Object.fromEntries(rows.map((r) => [r.level, r.n]));
    expect(Object.keys(byLevel).sort()).toEqual(['Cold', 'Hot', 'Warm']);
    const { rows: aliases } = await sql<{ n: number }>`
      select count(distinct lead_id)::int as n from lead_aliases where unit_id = ${owner.unitId} and kind = 'email' and lead_id like 'seed-%'`.execute(
      ctx.database.db,
    );
    expect(aliases[0]?.n).toBe(200);
  });

  it('refuses a second seed with 409 and changes nothing', async () => {
    expectError(await post(owner, '/admin/seed'), 409, 'conflict');
    expect(await counts(owner)).toEqual(seeded);
  });

  it('is for OU owners: an operator gets 403 and nothing is created', async () => {
    const operator = await addMember(ctx.app, owner);
    await assign(ctx.app, owner, owner.unitId, operator.memberId, 'Operator');
    const other = await signup(ctx.app);
    expectError(await post(operator, '/admin/wipe-seed'), 403, 'forbidden');
    expectError(await post(operator, '/admin/seed'), 403, 'forbidden');
    expect(await counts(owner)).toEqual(seeded);
    expect((await counts(other)).leads).toBe(0);
  });
});

describe('a fresh OU with the sample answers every analytics route with data', () => {
  const get = async (url: string) => {
    const res = await ctx.app.inject({ method: 'GET', url, headers: owner.headers });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json();
  };
  const postJson = async (url: string, payload: object) => {
    const res = await ctx.app.inject({ method: 'POST', url, headers: owner.headers, payload });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json();
  };

  it('moved 14 deals through their stages, recording real scores at each milestone', async () => {
    const deals = await get('/deals?limit=100');
    expect(deals.total).toBe(14);
    const won = deals.deals.filter((d: { stage: string }) => d.stage === 'Closed Won');
    expect(won).toHaveLength(6);
    const detail = await get(`/deals/${won[0].deal_id}`);
    const milestones = new Set(detail.milestone_scores.map((m: { milestone: string }) => m.milestone));
    expect([...milestones].sort()).toEqual(['close', 'mql', 'opportunity', 'sql']);
    expect(detail.milestone_scores.some((m: { score: number }) => m.score > 0)).toBe(true);
  });

  it('campaigns, their leads, deal insights, session insights, contacts, surge metrics, activity and usage', async () => {
    const start = new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
    const campaigns = await get(`/analytics/campaigns?start_date=${start}`);
    expect(JSON.stringify(campaigns)).toContain('spring_launch');
    expect((await get(`/analytics/campaigns/spring_launch/leads?start_date=${start}`)).leads.length).toBeGreaterThan(0);
    const insights = await get('/deals/attribution-insights');
    expect(insights.closed_won_deals).toBe(6);
    // Deals entered their stages 60, 35 and 15 days ago and lately: later milestones saw more history.
    expect(insights.avg_score_at_mql).toBeGreaterThan(0);
    expect(insights.avg_score_at_mql).toBeLessThan(insights.avg_score_at_sql);
    expect(insights.avg_score_at_sql).toBeLessThan(insights.avg_score_at_close);
    const sessions = await postJson('/api/v1/insights', { start_date: start });
    expect(JSON.stringify(sessions)).not.toContain('No data');
    const contacts = await postJson('/api/v1/contacts', { start_date: start });
    expect(JSON.stringify(contacts)).toContain('@');
    const now = new Date();
    const surge = await get(`/org-units/${owner.unitId}/surge-metrics?start=${start}T00:00:00Z&end=${now.toISOString()}&interval=1d`);
    expect(JSON.stringify(surge.series ?? surge)).toMatch(/[1-9]/);
    const activity = await get('/leads/seed-0001/activity?range=last_90d');
    expect(JSON.stringify(activity)).toContain('page_view');
    const usage = await get('/usage');
    expect(JSON.stringify(usage)).toMatch(/"events":\s*[1-9]/);
  });
});

describe('POST /admin/wipe-seed', () => {
  it('removes exactly the sample, reports the counts, and leaves the OU ready to seed again', async () => {
    const elsewhere = await signup(ctx.app);
    expect((await post(elsewhere, '/admin/seed')).statusCode).toBe(200);
    const res = await post(owner, '/admin/wipe-seed');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ leads_deleted: 200, events_deleted: seeded.seed_events, rules_deleted: 7, deals_deleted: 14, accounts_deleted: 20 });
    const after = await counts(owner);
    expect(after).toEqual({ leads: 1, events: 1, seed_events: 0, rules: 1, seed_rules: 0, accounts: 0 });
    const { rows } = await sql<{ n: number }>`
      select (select count(*) from lead_scores where unit_id = ${owner.unitId} and lead_id like 'seed-%')
           + (select count(*) from lead_aliases where unit_id = ${owner.unitId} and lead_id like 'seed-%') as n`.execute(ctx.database.db);
    expect(Number(rows[0]?.n)).toBe(0);
    // The other OU's sample is untouched; a second wipe finds nothing.
    expect((await counts(elsewhere)).leads).toBe(200);
    expect((await post(owner, '/admin/wipe-seed')).json()).toEqual({ leads_deleted: 0, events_deleted: 0, rules_deleted: 0, deals_deleted: 0, accounts_deleted: 0 });
    const { rows: left } = await sql<{ n: number }>`
      select (select count(*) from deals where unit_id = ${owner.unitId}) + (select count(*) from accounts where unit_id = ${owner.unitId}) as n`.execute(ctx.database.db);
    expect(Number(left[0]?.n)).toBe(0);
    expect((await post(owner, '/admin/seed')).statusCode).toBe(200);
  }, 180_000);
});
