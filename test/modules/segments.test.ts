import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { addMember, assign, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, putSurge } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

const call = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function createSegment(s: Session, name = `Seg ${Math.random()}`) {
  const res = await call(s, 'POST', '/segments', { name });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().segment_id as string;
}

type RuleBody = Record<string, unknown>;
/** A segment made of `rules` (in the order given); answers the ids /segments/{id}/leads lists and /count. */
async function matches(s: Session, rules: RuleBody[]) {
  const id = await createSegment(s);
  for (const rule of rules) {
    const res = await call(s, 'POST', `/segments/${id}/rules`, { rule_type: 'lead_metadata', ...rule });
    expect(res.statusCode, res.body).toBe(201);
  }
  const leads = await call(s, 'GET', `/segments/${id}/leads?limit=500`);
  expect(leads.statusCode, leads.body).toBe(200);
  const count = (await call(s, 'GET', `/segments/${id}/count`)).json().count as number;
  const ids = (leads.json() as Array<{ lead_id: string }>).map((l) => l.lead_id);
  expect(count).toBe(ids.length);
  return ids.sort();
}

async function lead(s: Session, id: string, metadata: Record<string, unknown>, extra: { account_id?: string; created_at?: Date } = {}) {
  await ctx.database.db
    .insertInto('leads')
    .values({ org_id: s.orgId, unit_id: s.unitId, id, metadata: sql`${JSON.stringify(metadata)}::jsonb`, ...extra })
    .execute();
}

let s: Session;
beforeAll(async () => {
  s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: 'demo', weight: 50 });
  await createRule(ctx.app, s, { event_type: 'page_view', weight: 5 });
  await lead(s, 'a', { plan: 'pro', employees: 250, company: { size: 'large' }, name: 'Ada%' }, { account_id: 'acc-1', created_at: new Date('2026-01-10T00:00:00Z') });
  await lead(s, 'b', { plan: 'Pro', employees: '90', company: { size: 'small' }, name: 'Bob' }, { created_at: new Date('2026-03-01T00:00:00Z') });
  await lead(s, 'c', { plan: 'enterprise', employees: 1000, vip: null }, { created_at: new Date('2026-05-01T00:00:00Z') });
  await lead(s, 'd', {}, { created_at: new Date('2026-06-01T00:00:00Z') });
  const at = new Date();
  await insertEvents(ctx.database.db, s, 'a', [{ type: 'demo', at, metadata: { source: 'ads', pages: 3 } }]);
  await insertEvents(ctx.database.db, s, 'b', [{ type: 'page_view', at, metadata: { source: 'ads' } }]);
  await insertEvents(ctx.database.db, s, 'c', [{ type: 'demo', at, metadata: { source: 'seo' } }]);
  await ctx.app.scoringWorker.drain();
});

describe('segment CRUD', () => {
  it('creates, lists, updates (fields left out keep their value) and deletes a segment with its rules', async () => {
    const o = await signup(ctx.app);
    const created = await call(o, 'POST', '/segments', { name: 'Marketing Leads', description: 'From marketing', active: true });
    expect(created.statusCode, created.body).toBe(201);
    const segment = created.json();
    expect(segment).toMatchObject({ name: 'Marketing Leads', description: 'From marketing', active: true, org_id: o.orgId, created_by: o.memberId });
    const id = segment.segment_id as string;
    expect((await call(o, 'GET', '/segments')).json().map((x: { segment_id: string }) => x.segment_id)).toEqual([id]);

    const updated = await call(o, 'PUT', `/segments/${id}`, { name: 'Renamed' });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ name: 'Renamed', description: 'From marketing', active: true });
    const off = await call(o, 'PUT', `/segments/${id}`, { name: 'Renamed', active: false, description: null });
    expect(off.json()).toMatchObject({ active: false, description: null });

    const rule = await call(o, 'POST', `/segments/${id}/rules`, { rule_type: 'lead_metadata', field_name: 'plan', operator: 'equals', value: 'pro' });
    expect(rule.statusCode, rule.body).toBe(201);
    expect(rule.json()).toMatchObject({ segment_id: id, org_id: o.orgId, logic_group: 0, logic_op: 'AND', order_index: 0, active: true, value: 'pro' });

    expect((await call(o, 'DELETE', `/segments/${id}`)).statusCode).toBe(204);
    expectError(await call(o, 'DELETE', `/segments/${id}`), 404, 'not_found');
    expectError(await call(o, 'GET', `/segments/${id}/rules`), 404, 'not_found');
    const left = await ctx.database.db.selectFrom('segment_rules').select('id').where('org_id', '=', o.orgId).execute();
    expect(left).toEqual([]);
  });

  it('answers 409 to a duplicate name in the OU, whatever its case, and changes nothing', async () => {
    const o = await signup(ctx.app);
    const first = await createSegment(o, 'Hot Accounts');
    expectError(await call(o, 'POST', '/segments', { name: 'hot accounts' }), 409, 'conflict');
    const other = await createSegment(o, 'Other');
    expectError(await call(o, 'PUT', `/segments/${other}`, { name: 'HOT ACCOUNTS' }), 409, 'conflict');
    const names = (await call(o, 'GET', '/segments')).json().map((x: { name: string }) => x.name);
    expect(names).toEqual(['Hot Accounts', 'Other']);
    expect(first).toBeTruthy();
  });

  it('refuses bad input with 400 and the envelope, storing nothing', async () => {
    const o = await signup(ctx.app);
    expectError(await call(o, 'POST', '/segments', {}), 400, 'validation_failed');
    expectError(await call(o, 'POST', '/segments', { name: '   ' }), 400, 'validation_failed');
    expectError(await call(o, 'POST', '/segments', { name: 'x'.repeat(201) }), 400, 'validation_failed');
    expectError(await call(o, 'POST', '/segments', { name: 'ok', active: 'yes' }), 400, 'validation_failed');
    const id = await createSegment(o, 'Valid');
    const bad: Array<[RuleBody, string]> = [
      [{ rule_type: 'lead_metadata', field_name: 'plan', operator: 'like', value: 'x' }, 'operator'],
      [{ rule_type: 'profile', field_name: 'plan', operator: 'equals', value: 'x' }, 'rule_type'],
      [{ rule_type: 'lead_metadata', field_name: 'plan', operator: 'equals' }, 'value'],
      [{ rule_type: 'lead_metadata', field_name: 'plan', operator: 'in', value: ' , ' }, 'value'],
      [{ rule_type: 'lead_metadata', field_name: 'a..b', operator: 'exists' }, 'field_name'],
      [{ rule_type: 'lead_metadata', field_name: '', operator: 'exists' }, 'field_name'],
      [{ rule_type: 'lead_metadata', field_name: 'plan', operator: 'exists', event_type: 'demo' }, 'event_type'],
      [{ rule_type: 'lead_metadata', field_name: 'plan', operator: 'exists', logic_op: 'XOR' }, 'logic_op'],
      [{ rule_type: 'lead_metadata', field_name: 'plan', operator: 'exists', order_index: 1.5 }, 'order_index'],
    ];
    for (const [body, field] of bad) {
      const res = await call(o, 'POST', `/segments/${id}/rules`, body);
      const error = expectError(res, 400, 'validation_failed');
      expect(JSON.stringify(error.details), JSON.stringify(body)).toContain(field);
    }
    expect((await call(o, 'GET', `/segments/${id}/rules`)).json()).toEqual([]);
    expectError(await call(o, 'GET', '/segments/not-a-uuid/count'), 400, 'validation_failed');
    expectError(await call(o, 'GET', `/segments/${id}/leads?limit=501`), 400, 'validation_failed');
    expectError(await call(o, 'GET', '/segments/00000000-0000-4000-8000-000000000000/leads'), 404, 'not_found');
  });

  it('updates a rule partially and re-checks the whole rule', async () => {
    const o = await signup(ctx.app);
    const id = await createSegment(o);
    const rule = (await call(o, 'POST', `/segments/${id}/rules`, { rule_type: 'lead_metadata', field_name: 'plan', operator: 'exists' })).json();
    expectError(await call(o, 'PUT', `/segments/${id}/rules/${rule.rule_id}`, { operator: 'equals' }), 400, 'validation_failed');
    const ok = await call(o, 'PUT', `/segments/${id}/rules/${rule.rule_id}`, { operator: 'equals', value: 'pro', order_index: 4 });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ field_name: 'plan', operator: 'equals', value: 'pro', order_index: 4, updated_by: o.memberId });
    const other = await createSegment(o);
    expectError(await call(o, 'PUT', `/segments/${other}/rules/${rule.rule_id}`, { value: 'x' }), 404, 'not_found');
    expectError(await call(o, 'DELETE', `/segments/${other}/rules/${rule.rule_id}`), 404, 'not_found');
    expect((await call(o, 'DELETE', `/segments/${id}/rules/${rule.rule_id}`)).statusCode).toBe(204);
    expect((await call(o, 'GET', `/segments/${id}/rules`)).json()).toEqual([]);
  });

  it('lets a Viewer read but not change segments', async () => {
    const o = await signup(ctx.app);
    const id = await createSegment(o);
    const viewer = await addMember(ctx.app, o);
    await assign(ctx.app, o, o.unitId, viewer.memberId, 'Viewer');
    expect((await call(viewer, 'GET', `/segments/${id}/count`)).statusCode).toBe(200);
    expectError(await call(viewer, 'POST', '/segments', { name: 'No' }), 403, 'forbidden');
    expectError(await call(viewer, 'POST', `/segments/${id}/rules`, { rule_type: 'lead_metadata', field_name: 'x', operator: 'exists' }), 403, 'forbidden');
    expect((await call(o, 'GET', '/segments')).json()).toHaveLength(1);
  });
});

describe('segment evaluation (semantics §6)', () => {
  it('compares numerically when both sides are numbers, else as case-sensitive text', async () => {
    expect(await matches(s, [{ field_name: 'employees', operator: 'gt', value: '100' }])).toEqual(['a', 'c']);
    expect(await matches(s, [{ field_name: 'employees', operator: 'equals', value: '250.0' }])).toEqual(['a']);
    expect(await matches(s, [{ field_name: 'employees', operator: 'lte', value: '90' }])).toEqual(['b']);
    expect(await matches(s, [{ field_name: 'plan', operator: 'equals', value: 'pro' }])).toEqual(['a']);
    expect(await matches(s, [{ field_name: 'plan', operator: 'gt', value: 'Pro' }])).toEqual(['a', 'c']);
    expect(await matches(s, [{ field_name: 'plan', operator: 'in', value: 'pro, enterprise' }])).toEqual(['a', 'c']);
    expect(await matches(s, [{ field_name: 'employees', operator: 'in', value: '90,1000' }])).toEqual(['b', 'c']);
  });

  it('matches text operators literally (no wildcards), and dotted paths', async () => {
    expect(await matches(s, [{ field_name: 'name', operator: 'contains', value: '%' }])).toEqual(['a']);
    expect(await matches(s, [{ field_name: 'name', operator: 'starts_with', value: 'B' }])).toEqual(['b']);
    expect(await matches(s, [{ field_name: 'name', operator: 'ends_with', value: 'a%' }])).toEqual(['a']);
    expect(await matches(s, [{ field_name: 'plan', operator: 'not_contains', value: 'ro' }])).toEqual(['c', 'd']);
    expect(await matches(s, [{ field_name: 'company.size', operator: 'equals', value: 'large' }])).toEqual(['a']);
    expect(await matches(s, [{ field_name: "name') or true --", operator: 'exists' }])).toEqual([]);
  });

  it('treats a missing or null field as absent: exists/not_exists, and negations true', async () => {
    expect(await matches(s, [{ field_name: 'company', operator: 'exists' }])).toEqual(['a', 'b']);
    expect(await matches(s, [{ field_name: 'vip', operator: 'not_exists' }])).toEqual(['a', 'b', 'c', 'd']);
    expect(await matches(s, [{ field_name: 'plan', operator: 'not_equals', value: 'pro' }])).toEqual(['b', 'c', 'd']);
  });

  it('tests the virtual fields score, level, created_at, last_event_at and account_id', async () => {
    expect(await matches(s, [{ field_name: 'score', operator: 'gte', value: '50' }])).toEqual(['a', 'c']);
    expect(await matches(s, [{ field_name: 'level', operator: 'equals', value: 'Cold' }])).toEqual(['b', 'd']);
    expect(await matches(s, [{ field_name: 'created_at', operator: 'lt', value: '2026-03-01' }])).toEqual(['a']);
    expect(await matches(s, [{ field_name: 'created_at', operator: 'gte', value: '2026-03-01T00:00:00Z' }])).toEqual(['b', 'c', 'd']);
    expect(await matches(s, [{ field_name: 'last_event_at', operator: 'exists' }])).toEqual(['a', 'b', 'c']);
    expect(await matches(s, [{ field_name: 'account_id', operator: 'equals', value: 'acc-1' }])).toEqual(['a']);
  });

  it('tests events: of a type when given, of any type otherwise', async () => {
    expect(await matches(s, [{ rule_type: 'event_metadata', field_name: 'source', operator: 'equals', value: 'ads' }])).toEqual(['a', 'b']);
    expect(await matches(s, [{ rule_type: 'event_metadata', event_type: 'demo', field_name: 'source', operator: 'equals', value: 'ads' }])).toEqual(['a']);
    expect(await matches(s, [{ rule_type: 'event_metadata', event_type: 'demo', field_name: 'pages', operator: 'gt', value: '2' }])).toEqual(['a']);
    expect(await matches(s, [{ rule_type: 'event_metadata', event_type: 'signup', field_name: 'source', operator: 'exists' }])).toEqual([]);
  });

  it('tests the keys the scoring worker wrote into an event\'s metadata (kept in its outcome row)', async () => {
    expect(await matches(s, [{ rule_type: 'event_metadata', field_name: 'score_delta', operator: 'gte', value: '50' }])).toEqual(['a', 'c']);
    expect(await matches(s, [{ rule_type: 'event_metadata', event_type: 'page_view', field_name: 'score_delta', operator: 'equals', value: '5' }])).toEqual(['b']);
    expect(await matches(s, [{ rule_type: 'event_metadata', field_name: 'inorganic', operator: 'exists' }])).toEqual([]);
  });

  it('ANDs logic groups, binds AND tighter than OR in a group, follows order_index and skips inactive rules', async () => {
    // group 0 in order_index order: plan = enterprise OR plan = pro AND employees > 1000  →  c, (a and false)
    const group0: [RuleBody, RuleBody, RuleBody] = [
      { field_name: 'employees', operator: 'gt', value: '1000', logic_op: 'AND', order_index: 2 },
      { field_name: 'plan', operator: 'equals', value: 'enterprise', logic_op: 'AND', order_index: 0 },
      { field_name: 'plan', operator: 'equals', value: 'pro', logic_op: 'OR', order_index: 1 },
    ];
    expect(await matches(s, group0)).toEqual(['c']);
    // With AND binding tighter: enterprise OR (pro AND employees > 100) → a, c
    expect(await matches(s, [{ ...group0[0], value: '100' }, group0[1], group0[2]])).toEqual(['a', 'c']);
    // A second group is ANDed: … AND score >= 60 → c only (a has 50).
    expect(await matches(s, [{ ...group0[0], value: '100' }, group0[1], group0[2], { field_name: 'score', operator: 'gte', value: '60', logic_group: 1 }])).toEqual([]);
    expect(await matches(s, [{ ...group0[0], value: '100' }, group0[1], group0[2], { field_name: 'score', operator: 'gte', value: '50', logic_group: 1 }])).toEqual(['a', 'c']);
    // Inactive rules are skipped; a segment with no active rule matches no lead.
    expect(await matches(s, [group0[1], { field_name: 'plan', operator: 'equals', value: 'pro', logic_op: 'OR', order_index: 1, active: false }])).toEqual(['c']);
    expect(await matches(s, [{ field_name: 'plan', operator: 'exists', active: false }])).toEqual([]);
    expect(await matches(s, [])).toEqual([]);
  });

  it('lists a segment’s leads by primary score with paging, as LeadScoreItem', async () => {
    const id = await createSegment(s);
    await call(s, 'POST', `/segments/${id}/rules`, { rule_type: 'lead_metadata', field_name: 'plan', operator: 'exists' });
    const page1 = (await call(s, 'GET', `/segments/${id}/leads?limit=2`)).json();
    expect(page1.map((l: { lead_id: string; score: number; level: string }) => [l.lead_id, l.score, l.level])).toEqual([
      ['a', 50, 'Warm'],
      ['c', 50, 'Warm'],
    ]);
    expect(page1[0]).toMatchObject({ account_id: 'acc-1', metadata: { plan: 'pro' }, last_event_type: 'demo' });
    const page2 = (await call(s, 'GET', `/segments/${id}/leads?limit=2&page=2`)).json();
    expect(page2.map((l: { lead_id: string }) => l.lead_id)).toEqual(['b']);
    expect((await call(s, 'GET', `/segments/${id}/count`)).json()).toEqual({ count: 3 });
  });
});
