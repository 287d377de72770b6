import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { changedTables, checksums, refusalProblems, tenantTables } from './isolation-checks.js';
import { FACTORIES, type Factory } from './isolation-factories.js';
import { createWorld, send, type Caller, type Method, type World } from './isolation-world.js';

/**
 * Ids of OU A sent where the path cannot show them: in a query or a body. These cannot be derived
 * from the registered routes, so they are listed by hand; a route that takes another tenant-owned
 * id in its query or body adds a case here. The oracle: B's answer for A's value is exactly its
 * answer for a value of the same shape that exists nowhere, and nothing changes.
 */
const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false' });
let w: World;

interface Values {
  ruleset: string;
  rulesetName: string;
  lead: string;
  event: string;
  unit: string;
  member: string;
  property: string;
  alias: string;
  account: string;
}
/** The caller's own objects, in its own OU. */
interface Own {
  lead: string;
  rule: string;
  unit: string;
  milestone: string;
}
interface Case {
  name: string;
  /** The value belongs to org A's members by design (e.g. its member ids): only other orgs are foreign. */
  otherOrgOnly?: boolean;
  /** A write into the caller's own OU is the right answer (ingestion with A's alias makes B a new lead). */
  writesOwnOu?: boolean;
  request(v: Values, own: Own): { method: Method; url: string; payload?: unknown };
}

const q = encodeURIComponent;
const CASES: Case[] = [
  { name: 'POST /rules into A’s ruleset', request: (v) => ({ method: 'POST', url: '/rules', payload: { event_type: 'x', weight: 1, ruleset_id: v.ruleset } }) },
  { name: 'PUT /rules/:own moving it into A’s ruleset', request: (v, o) => ({ method: 'PUT', url: `/rules/${o.rule}`, payload: { ruleset_id: v.ruleset } }) },
  { name: 'GET /leads/:own/score in A’s ruleset', request: (v, o) => ({ method: 'GET', url: `/leads/${q(o.lead)}/score?ruleset_id=${v.ruleset}` }) },
  { name: 'GET /score-history of A’s lead', request: (v) => ({ method: 'GET', url: `/score-history?lead_id=${q(v.lead)}` }) },
  { name: 'GET /score-history of an own lead in A’s ruleset', request: (v, o) => ({ method: 'GET', url: `/score-history?lead_id=${q(o.lead)}&ruleset_id=${v.ruleset}` }) },
  { name: 'POST /leads/scores of A’s lead', request: (v) => ({ method: 'POST', url: '/leads/scores', payload: { lead_ids: [v.lead] } }) },
  { name: 'POST /leads/scores in A’s ruleset (id)', request: (v, o) => ({ method: 'POST', url: '/leads/scores', payload: { lead_ids: [o.lead], ruleset: v.ruleset } }) },
  { name: 'POST /leads/scores in A’s ruleset (name)', request: (v, o) => ({ method: 'POST', url: '/leads/scores', payload: { lead_ids: [o.lead], ruleset: v.rulesetName } }) },
  { name: 'POST /leads/merge of A’s lead into an own lead', request: (v, o) => ({ method: 'POST', url: '/leads/merge', payload: { targetLeadId: o.lead, sourceLeadIds: [v.lead] } }) },
  { name: 'POST /leads/merge of an own lead into A’s lead', request: (v, o) => ({ method: 'POST', url: '/leads/merge', payload: { targetLeadId: v.lead, sourceLeadIds: [o.lead] } }) },
  { name: 'GET /leads/search for A’s lead id', request: (v) => ({ method: 'GET', url: `/leads/search?q=${q(v.lead)}` }) },
  { name: 'POST /deals with A’s lead as a contact', request: (v) => ({ method: 'POST', url: '/deals', payload: { name: 'x', stage: 'closedwon', amount: 1, contact_lead_ids: [v.lead] } }) },
  { name: 'POST /orders for A’s lead', request: (v) => ({ method: 'POST', url: '/orders', payload: { lead_id: v.lead, amount: 1, currency: 'USD' } }) },
  // Not searched for A's alias: the ingestion cases below rightly give OU B a lead of its own with it.
  { name: 'POST /events for A’s lead', request: (v) => ({ method: 'POST', url: '/events', payload: { lead_id: v.lead, event_type: 'x' } }) },
  {
    name: 'POST /events with A’s alias',
    writesOwnOu: true,
    request: (v) => ({ method: 'POST', url: '/events', payload: { aliases: [{ alias_kind: 'email', raw_value: v.alias }], event_type: 'x' } }),
  },
  {
    name: 'POST /events/batch with A’s alias (deprecated form)',
    writesOwnOu: true,
    request: (v) => ({ method: 'POST', url: '/events/batch', payload: { events: [{ alias_kind: 'email', alias: v.alias, event_type: 'x' }] } }),
  },
  { name: 'POST /events/batch for A’s lead', request: (v) => ({ method: 'POST', url: '/events/batch', payload: { events: [{ lead_id: v.lead, event_type: 'x' }] } }) },
  { name: 'POST /events/batch-delete of A’s event', request: (v) => ({ method: 'POST', url: '/events/batch-delete', payload: { ids: [v.event] } }) },
  { name: 'GET /deliveries of A’s lead', request: (v) => ({ method: 'GET', url: `/deliveries?lead_id=${q(v.lead)}` }) },
  { name: 'GET /milestones/events of A’s lead', request: (v) => ({ method: 'GET', url: `/milestones/events?lead_id=${q(v.lead)}` }) },
  { name: 'GET /sequences/events/export of A’s lead', request: (v) => ({ method: 'GET', url: `/sequences/events/export?lead_id=${q(v.lead)}` }) },
  { name: 'POST /milestones/:own/simulate for A’s lead', request: (v, o) => ({ method: 'POST', url: `/milestones/${o.milestone}/simulate`, payload: { lead_id: v.lead } }) },
  { name: 'GET /events filtered by A’s metadata', request: (v) => ({ method: 'GET', url: `/events?metadata=${q(`${v.property}:on`)}` }) },
  {
    // Within org A the OUs are the organization's structure: a member of another OU gets 403 by design.
    name: 'POST /org-units/active with OU A',
    otherOrgOnly: true,
    request: (v) => ({ method: 'POST', url: '/org-units/active', payload: { ouId: v.unit } }),
  },
  {
    name: 'POST /org-units/:own/members with a member of org A',
    otherOrgOnly: true,
    request: (v, o) => ({ method: 'POST', url: `/org-units/${o.unit}/members`, payload: { org_member_id: v.member, role: 'Viewer' } }),
  },
  {
    name: 'PUT /org-units/:own/members/:member of org A',
    otherOrgOnly: true,
    request: (v, o) => ({ method: 'PUT', url: `/org-units/${o.unit}/members/${v.member}`, payload: { role: 'Viewer' } }),
  },
  { name: 'POST /accounts/batch-delete of A’s account', request: (v) => ({ method: 'POST', url: '/accounts/batch-delete', payload: { ids: [v.account] } }) },
];

let valuesOfA: Values;
const nowhere = (): Values => ({
  ruleset: randomUUID(),
  rulesetName: `Ruleset nowhere ${randomUUID()}`,
  lead: randomUUID(),
  event: randomUUID(),
  unit: randomUUID(),
  member: randomUUID(),
  property: `key_nowhere_${randomUUID().slice(0, 8)}`,
  alias: `nowhere-${randomUUID()}@a.example`,
  account: randomUUID(),
});

async function ownObjects(caller: Caller): Promise<Own> {
  const ingested = await send(w.app, caller, 'POST', '/events', { aliases: [{ alias_kind: 'email', raw_value: `own-${randomUUID()}@b.example` }], event_type: 'own' });
  expect(ingested.statusCode, ingested.body).toBe(202);
  const rule = await send(w.app, caller, 'POST', '/rules', { event_type: 'own', weight: 1 });
  expect(rule.statusCode, rule.body).toBe(201);
  const milestone = await send(w.app, caller, 'POST', '/milestones', { event_type: 'own', score_threshold: 1000, emails: ['own@b.example'] });
  expect(milestone.statusCode, milestone.body).toBe(201);
  return { lead: ingested.json().metadata.lead_id, rule: rule.json().rule_id, unit: caller.unitId, milestone: milestone.json().trigger_id };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * The answer with the sent values, the request id and new ids left out; and lead_created, which
 * says whether an earlier case already made B's own lead with that alias (a lead of A would show
 * as <lead>, and its new event would change OU A).
 */
function normalized(body: string, values: Values): string {
  let text = body.replace(/"request_id":"[^"]*"/g, '').replace(/"lead_created":(true|false)/g, '');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(value, `<${key}>`);
  return text.replace(UUID, '<new id>');
}

beforeAll(async () => {
  w = await createWorld(ctx.app, ctx.database.db);
  const lead = await (FACTORIES['/leads/:leadID/score'] as Factory).make(w);
  const ruleset = await (FACTORIES['/rulesets/:id'] as Factory).make(w);
  const member = await (FACTORIES['/org/members/:id'] as Factory).make(w);
  const account = await (FACTORIES['/accounts/:id'] as Factory).make(w);
  valuesOfA = {
    ruleset: ruleset.params.id as string,
    rulesetName: ruleset.params.name as string,
    lead: lead.params.leadID as string,
    event: lead.params.eventID as string,
    unit: w.unitA,
    member: member.params.id as string,
    property: lead.params.propertyKey as string,
    alias: lead.params.alias as string,
    account: account.params.id as string,
  };
});

type Tables = Awaited<ReturnType<typeof tenantTables>>;

/** One case as one caller: A's value, then a value that exists nowhere, with the tables around both. */
async function caseProblems(tables: Tables, caller: Caller, c: Case, own: Own): Promise<string[]> {
  const where = `${c.name} as ${caller.label}`;
  const absent = nowhere();
  const exceptUnit = c.writesOwnOu ? caller.unitId : undefined;
  const before = await checksums(ctx.database.db, tables, exceptUnit);
  const forA = c.request(valuesOfA, own);
  const res = await send(w.app, caller, forA.method, forA.url, forA.payload);
  const forNowhere = c.request(absent, own);
  const other = await send(w.app, caller, forNowhere.method, forNowhere.url, forNowhere.payload);
  const problems: string[] = [];
  const changed = changedTables(before, await checksums(ctx.database.db, tables, exceptUnit));
  if (changed.length > 0) problems.push(`${where}: changed ${changed.join(', ')}${exceptUnit ? ' outside its own OU' : ''}`);
  if (res.statusCode >= 400) problems.push(...refusalProblems(res, [400, 403, 404]).map((p) => `${where}: ${p}`));
  const mine = normalized(res.body, valuesOfA);
  const theirs = normalized(other.body, absent);
  if (res.statusCode !== other.statusCode || mine !== theirs) {
    problems.push(`${where}: answered ${res.statusCode} ${mine.slice(0, 300)}\n  but for ids that exist nowhere ${other.statusCode} ${theirs.slice(0, 300)}`);
  }
  return problems;
}

describe('ids of OU A in queries and bodies', () => {
  it('get B the answer an id that exists nowhere gets, and change nothing', async () => {
    const tables = await tenantTables(ctx.database.db);
    const problems: string[] = [];
    // The cookie-replaying caller is refused before any of this (the matrix holds it to that).
    for (const caller of w.foreign.filter((c) => !c.replaysCookie)) {
      const own = await ownObjects(caller);
      for (const c of CASES.filter((k) => !(k.otherOrgOnly && caller.sameOrg))) problems.push(...(await caseProblems(tables, caller, c, own)));
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
