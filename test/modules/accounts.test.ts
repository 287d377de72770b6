import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', JOBS_WORKER: 'false' });

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (s: Session, method: Method, url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function ok<T = any>(s: Session, method: Method, url: string, payload: unknown, status: number): Promise<T> {
  const res = await call(s, method, url, payload);
  expect(res.statusCode, res.body).toBe(status);
  return res.json() as T;
}

const abmOn = (s: Session) => ok(s, 'PUT', '/settings/scoring', { abm_enabled: true }, 200);

/** Inserts an account straight into its table (accounts come from backfills; the API has no create). */
async function account(s: Session, domain: string, name: string, metadata: Record<string, unknown> = {}): Promise<string> {
  const row = await ctx.database.db
    .insertInto('accounts')
    .values({ org_id: s.orgId, unit_id: s.unitId, domain, name, metadata: JSON.stringify(metadata) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function scoredLead(s: Session, id: string, accountId: string | null, views: number, metadata: Record<string, unknown> = {}) {
  await ok(s, 'POST', '/leads', { id, metadata }, 201);
  if (accountId) await ctx.database.db.updateTable('leads').set({ account_id: accountId }).where('org_id', '=', s.orgId).where('id', '=', id).execute();
  for (let i = 0; i < views; i++) await ok(s, 'POST', '/events', { lead_id: id, event_type: 'page_view' }, 202);
}

describe('ABM switch', () => {
  it('answers 403 abm_disabled on every /account… and /accounts… route while abm_enabled is false', async () => {
    const s = await signup(ctx.app);
    const uuid = '00000000-0000-4000-8000-000000000000';
    const routes: Array<[Method, string, unknown?]> = [
      ['GET', '/accounts'], ['GET', '/accounts/x'], ['POST', '/accounts/batch-delete', { ids: ['x'] }], ['GET', '/account/properties'],
      ['GET', '/account/mappings'], ['POST', '/account/mappings', { source_field: 'a', account_property: 'b' }],
      ['PUT', `/account/mappings/${uuid}`, {}], ['DELETE', `/account/mappings/${uuid}`],
      ['GET', '/account/rulesets'], ['POST', '/account/rulesets', { name: 'x' }], ['PUT', `/account/rulesets/${uuid}`, {}],
      ['DELETE', `/account/rulesets/${uuid}`], ['GET', `/account/rulesets/${uuid}/rules`], ['POST', `/account/rulesets/${uuid}/rules`, {}],
      ['PUT', `/account/rulesets/${uuid}/rules/${uuid}`, {}], ['DELETE', `/account/rulesets/${uuid}/rules/${uuid}`],
    ];
    for (const [method, url, body] of routes) expectError(await call(s, method, url, body), 403, 'abm_disabled');
    expect(await ctx.database.db.selectFrom('field_mappings').select('id').where('org_id', '=', s.orgId).execute()).toEqual([]);
    await abmOn(s);
    expect((await call(s, 'GET', '/accounts')).statusCode).toBe(200);
  });
});

describe('GET /accounts', () => {
  it('aggregates top_score, leads_count, owner_name, surging and intent_level; filters and pages', async () => {
    const s = await signup(ctx.app);
    await abmOn(s);
    await putSurge(ctx.app, s, { mode: 'standard' });
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    for (const [name, min, max] of [['Low', 0, 19], ['Medium', 20, 49], ['High', 50, 1000]] as const) {
      await ok(s, 'POST', '/levels/account', { name, min_score: min, max_score: max }, 201);
    }
    const acme = await account(s, 'acme.io', 'Acme');
    const beta = await account(s, 'beta.io', 'Beta_Corp');
    const empty = await account(s, 'empty.io', 'Empty');
    // 3 views in one session: 10 + 10 + round(10 × 1.25) = 33 → surged
    await scoredLead(s, 'a1', acme, 3, { owner_name: 'Ann' });
    await scoredLead(s, 'a2', acme, 1, { owner_name: 'Bob' });
    await scoredLead(s, 'b1', beta, 1);
    await scoredLead(s, 'loner', null, 1);
    await ctx.app.scoringWorker.drain();
    const list = await ok(s, 'GET', '/accounts', undefined, 200);
    expect(list).toMatchObject({ total: 3, page: 1, limit: 50 });
    expect(list.accounts.map((a: any) => [a.name, a.top_score, a.leads_count, a.owner_name, a.surging, a.intent_level])).toEqual([
      ['Acme', 33, 2, 'Ann', true, 'medium'],
      ['Beta_Corp', 10, 1, null, false, 'low'],
      ['Empty', null, 0, null, false, null],
    ]);
    expect((await ok(s, 'GET', '/accounts?intent_level=low', undefined, 200)).accounts.map((a: any) => a.account_id)).toEqual([beta]);
    expect((await ok(s, 'GET', '/accounts?intent_level=high', undefined, 200))).toMatchObject({ accounts: [], total: 0 });
    expect((await ok(s, 'GET', '/accounts?search=ACME', undefined, 200)).accounts.map((a: any) => a.account_id)).toEqual([acme]);
    expect((await ok(s, 'GET', '/accounts?search=a_c', undefined, 200)).accounts.map((a: any) => a.account_id)).toEqual([beta]);
    expect((await ok(s, 'GET', '/accounts?search=%25', undefined, 200)).total).toBe(0);
    expect((await ok(s, 'GET', '/accounts?search=empty.io', undefined, 200)).accounts.map((a: any) => a.account_id)).toEqual([empty]);
    const page2 = await ok(s, 'GET', '/accounts?limit=2&page=2', undefined, 200);
    expect(page2).toMatchObject({ total: 3, page: 2, limit: 2 });
    expect(page2.accounts.map((a: any) => a.account_id)).toEqual([empty]);
    expect((await ok(s, 'GET', '/accounts?range=today', undefined, 200)).total).toBe(3);
    expect((await ok(s, 'GET', '/accounts?range=yesterday', undefined, 200)).total).toBe(0);
    for (const q of ['intent_level=hot', 'range=forever', 'limit=0', 'limit=501', 'page=0', 'search=']) {
      expectError(await call(s, 'GET', `/accounts?${q}`), 400, 'validation_failed');
    }
    // Another OU sees none of them.
    const other = await signup(ctx.app);
    await abmOn(other);
    expect(await ok(other, 'GET', '/accounts', undefined, 200)).toMatchObject({ accounts: [], total: 0 });
    expectError(await call(other, 'GET', `/accounts/${acme}`), 404, 'not_found');
  });

  it('counts surviving leads only and takes top_score from scored leads (unscored count, merged do not)', async () => {
    const s = await signup(ctx.app);
    await abmOn(s);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const acme = await account(s, 'acme.io', 'Acme');
    const quiet = await account(s, 'quiet.io', 'Quiet');
    await scoredLead(s, 'keep', acme, 1);
    await scoredLead(s, 'gone', acme, 2);
    await scoredLead(s, 'silent', quiet, 0);
    await ctx.app.scoringWorker.drain();
    const before = await ok(s, 'GET', '/accounts', undefined, 200);
    expect(before.accounts.map((a: any) => [a.name, a.top_score, a.leads_count])).toEqual([['Acme', 20, 2], ['Quiet', null, 1]]);
    // Merging `gone` into a lead of no account leaves Acme one surviving lead, scored 10.
    await scoredLead(s, 'elsewhere', null, 0);
    await ok(s, 'POST', '/leads/merge', { targetLeadId: 'elsewhere', sourceLeadIds: ['gone'] }, 200);
    const after = await ok(s, 'GET', '/accounts', undefined, 200);
    expect(after.accounts.map((a: any) => [a.name, a.top_score, a.leads_count])).toEqual([['Acme', 10, 1], ['Quiet', null, 1]]);
  });

  it('answers detail, lead account, account properties and account scores from account rules', async () => {
    const s = await signup(ctx.app);
    await abmOn(s);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const acme = await account(s, 'acme.io', 'Acme', { industry: 'SaaS', employees: 500 });
    await scoredLead(s, 'a1', acme, 2);
    await scoredLead(s, 'a2', acme, 1);
    await ctx.app.scoringWorker.drain();
    const set = await ok(s, 'POST', '/account/rulesets', { name: 'ABM', is_primary: true }, 201);
    await ok(s, 'POST', `/account/rulesets/${set.id}/rules`, { account_property: 'industry', condition: 'equals', comparison_value: 'SaaS', weight: 30 }, 201);
    await ok(s, 'POST', `/account/rulesets/${set.id}/rules`, { account_property: 'employees', condition: 'gt', comparison_value: '1000', weight: 50 }, 201);
    await ok(s, 'POST', '/levels/account', { name: 'Target', min_score: 25, max_score: 100 }, 201);
    const detail = await ok(s, 'GET', `/accounts/${acme}`, undefined, 200);
    expect(detail).toMatchObject({ account_id: acme, domain: 'acme.io', name: 'Acme', top_score: 20, leads_count: 2, account_score: 30, account_level: 'Target' });
    expect(detail.leads.map((l: any) => [l.lead_id, l.score])).toEqual([['a1', 20], ['a2', 10]]);
    expect(detail.recent_events).toHaveLength(3);
    expect(await ok(s, 'GET', '/leads/a1/account', undefined, 200)).toMatchObject({ lead_id: 'a1', account: { account_id: acme, account_score: 30 } });
    await ok(s, 'POST', '/leads', { id: 'solo' }, 201);
    expect(await ok(s, 'GET', '/leads/solo/account', undefined, 200)).toEqual({ lead_id: 'solo', account: null });
    expectError(await call(s, 'GET', '/leads/nobody/account'), 404, 'not_found');
    expect(await ok(s, 'GET', '/account/properties', undefined, 200)).toEqual(['employees', 'industry']);
    expectError(await call(s, 'GET', '/accounts/nope'), 404, 'not_found');
  });
});

describe('account mappings', () => {
  it('write the lead’s account metadata at ingestion with always_latest, set_once and append', async () => {
    const s = await signup(ctx.app);
    await abmOn(s);
    const acme = await account(s, 'acme.io', 'Acme');
    await scoredLead(s, 'a1', acme, 0);
    await ok(s, 'POST', '/account/mappings', { source_field: 'plan', account_property: 'plan' }, 201);
    await ok(s, 'POST', '/account/mappings', { source_field: 'plan', account_property: 'first_plan', update_behavior: 'set_once' }, 201);
    const m = await ok(s, 'POST', '/account/mappings', { source_field: 'tool', account_property: 'tool', update_behavior: 'append' }, 201);
    expect(m).toMatchObject({ account_property: 'tool', update_behavior: 'append' });
    expectError(await call(s, 'POST', '/account/mappings', { source_field: 'plan', account_property: 'plan' }), 409, 'conflict');
    for (const meta of [{ plan: 'free', tool: 'x' }, { plan: 'pro', tool: 'y' }, { tool: 'x' }]) {
      await ok(s, 'POST', '/events', { lead_id: 'a1', event_type: 'page_view', metadata: meta }, 202);
    }
    const detail = await ok(s, 'GET', `/accounts/${acme}`, undefined, 200);
    expect(detail.metadata).toEqual({ plan: 'pro', first_plan: 'free', tool: 'x', tool_list: ['y', 'x'] });
  });
});

describe('POST /accounts/batch-delete', () => {
  it('unlinks the OU’s leads and deletes the accounts; unknown and foreign ids are reported and left alone', async () => {
    const s = await signup(ctx.app);
    await abmOn(s);
    const other = await signup(ctx.app);
    const foreign = await account(other, 'foreign.io', 'Foreign');
    const acme = await account(s, 'acme.io', 'Acme');
    const keep = await account(s, 'keep.io', 'Keep');
    await scoredLead(s, 'a1', acme, 0);
    await scoredLead(s, 'a2', acme, 0);
    expectError(await call(s, 'POST', '/accounts/batch-delete', { ids: [] }), 400, 'validation_failed');
    expectError(await call(s, 'POST', '/accounts/batch-delete', { ids: [acme, acme] }), 400, 'validation_failed');
    const viewer = await addMember(ctx.app, s);
    await assign(ctx.app, s, s.unitId, viewer.memberId, 'Viewer');
    expectError(await call(viewer, 'POST', '/accounts/batch-delete', { ids: [acme] }), 403, 'forbidden');
    const res = await ok(s, 'POST', '/accounts/batch-delete', { ids: [acme, foreign, 'nope'] }, 200);
    expect(res).toEqual({ deleted: [acme], unlinked_leads: 2, not_found: [foreign, 'nope'] });
    expect((await ok(s, 'GET', '/leads/a1', undefined, 200)).lead.account_id).toBeNull();
    const left = await sql<{ id: string }>`select id from accounts where org_id in (${s.orgId}, ${other.orgId}) order by id`.execute(ctx.database.db);
    expect(left.rows.map((r) => r.id).sort()).toEqual([foreign, keep].sort());
  });
});
