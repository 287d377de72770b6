import type { FastifyInstance, InjectOptions } from 'fastify';
import { expect } from 'vitest';
import { addMember, assign, createCredential, signup, type Session } from '../../helpers/factories.js';
import { FAKE_APP } from '../../helpers/fake-slack.js';
import type { Caller } from './requests.js';
import type { Operation, Parameter } from './spec.js';

/** What the fuzzed tenant holds: the ids and names valid requests and path parameters draw from. */
export interface Pools {
  units: string[];
  leads: string[];
  events: string[];
  eventTypes: string[];
  emails: string[];
  rulesets: string[];
  rulesetNames: string[];
  rules: string[];
  levels: Record<'engagement' | 'profile' | 'account', string[]>;
  decays: string[];
  filters: string[];
  segments: string[];
  segmentRules: string[];
  campaigns: string[];
  deals: string[];
  patternTriggers: string[];
  milestones: string[];
  sequences: string[];
  surgeTriggers: string[];
  deliveries: string[];
  /** Profile and account scoring (src/modules/accounts): mappings, rulesets, rules, accounts, admin jobs. */
  mappings: Record<'profile' | 'account', string[]>;
  propertyRulesets: Record<'profile' | 'account', string[]>;
  propertyRules: Record<'profile' | 'account', string[]>;
  accounts: string[];
  jobs: string[];
  /** A member and a credential that fuzzed requests may change or delete (never the fuzzer's own). */
  victimMember: string;
  victimEmail: string;
  victimCredential: string;
}

export interface Tenant {
  owner: Session;
  /** The signed activeOu cookie that pins the owner to the seeded OU, however many OUs fuzzing adds. */
  activeOu: string;
  basic: Record<string, string>;
  pools: Pools;
}

async function ok(app: FastifyInstance, options: InjectOptions, status = 201): Promise<Record<string, unknown>> {
  const res = await app.inject(options);
  expect(res.statusCode, `${options.method} ${options.url}: ${res.body}`).toBe(status);
  return res.body ? (res.json() as Record<string, unknown>) : {};
}

async function loginCookie(app: FastifyInstance, owner: Session): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: owner.email, password: owner.password } });
  const cookie = res.cookies.find((c) => c.name === 'activeOu');
  if (!cookie) throw new Error(`login set no activeOu cookie: ${res.body}`);
  return cookie.value;
}

async function seedEvents(app: FastifyInstance, headers: Record<string, string>, pools: Pools) {
  const types = ['page_view', 'email_open', 'webinar_join'];
  for (const [i, email] of ['ada@fuzz.example', 'bob@fuzz.example'].entries()) {
    for (const type of types) {
      const body = await ok(app, { method: 'POST', url: '/events', headers, payload: { event_type: type, aliases: [{ alias_kind: 'email', raw_value: email }], metadata: { campaign: `c${i}`, utm_campaign: `fuzz-c${i}`, nested: { depth: 1 } } } }, 202);
      const meta = body.metadata as { event_id: string; lead_id: string };
      pools.events.push(meta.event_id);
      if (!pools.leads.includes(meta.lead_id)) pools.leads.push(meta.lead_id);
    }
    pools.emails.push(email);
  }
  pools.eventTypes.push(...types);
  pools.campaigns.push('fuzz-c0', 'fuzz-c1');
}

async function seedScoring(app: FastifyInstance, headers: Record<string, string>, pools: Pools) {
  const extra = await ok(app, { method: 'POST', url: '/rulesets', headers, payload: { name: 'Fuzz set', score_column: 'fuzz_score' } });
  const sets = (await ok(app, { method: 'GET', url: '/rulesets', headers }, 200)) as unknown as Array<{ ruleset_id: string; name: string }>;
  pools.rulesets.push(...sets.map((s) => s.ruleset_id));
  pools.rulesetNames.push(...sets.map((s) => s.name));
  for (const [type, weight] of [['page_view', 5], ['email_open', 10]] as const) {
    const rule = await ok(app, { method: 'POST', url: '/rules', headers, payload: { event_type: type, weight } });
    pools.rules.push(String(rule.rule_id));
  }
  const rule = await ok(app, { method: 'POST', url: '/rules', headers, payload: { event_type: 'webinar_join', weight: 20, ruleset_id: extra.ruleset_id } });
  pools.rules.push(String(rule.rule_id));
  for (const kind of ['engagement', 'profile', 'account'] as const) {
    const level = await ok(app, { method: 'POST', url: `/levels/${kind}`, headers, payload: { name: `Fuzz ${kind}`, min_score: 2_000_000, max_score: 3_000_000 } });
    pools.levels[kind].push(String(level.level_id));
    const list = (await ok(app, { method: 'GET', url: `/levels/${kind}`, headers }, 200)) as unknown as Array<{ level_id: string }>;
    for (const l of list) if (!pools.levels[kind].includes(l.level_id)) pools.levels[kind].push(l.level_id);
  }
  const decay = await ok(app, { method: 'POST', url: '/decays', headers, payload: { inactive_for: 3, unit: 'days', decrease: 5 } });
  pools.decays.push(String(decay.decay_id));
  const filter = await ok(app, { method: 'POST', url: '/filters', headers, payload: { event_type: 'page_view', count_threshold: 50, time_window_ms: 60_000 } });
  pools.filters.push(String(filter.filter_id));
  await ok(app, { method: 'PUT', url: '/settings/event-types/email_open', headers, payload: { canonical_type: 'email_engaged' } }, 200);
  await seedSegments(app, headers, pools);
}

async function seedSegments(app: FastifyInstance, headers: Record<string, string>, pools: Pools) {
  const segment = await ok(app, { method: 'POST', url: '/segments', headers, payload: { name: 'Fuzz segment' } });
  pools.segments.push(String(segment.segment_id));
  const rules = [
    { rule_type: 'lead_metadata', field_name: 'score', operator: 'gte', value: '5' },
    { rule_type: 'event_metadata', event_type: 'page_view', field_name: 'nested.depth', operator: 'in', value: '1,2', logic_op: 'OR' },
  ];
  for (const payload of rules) {
    const rule = await ok(app, { method: 'POST', url: `/segments/${String(segment.segment_id)}/rules`, headers, payload });
    pools.segmentRules.push(String(rule.rule_id));
  }
}

/** The Slack app configured and the OU connected through the fake Slack API (SLACK_API_BASE), with a default target. */
async function seedSlack(app: FastifyInstance, headers: Record<string, string>) {
  await ok(app, { method: 'PUT', url: '/settings/slack-app', headers, payload: { client_id: FAKE_APP.clientId, client_secret: FAKE_APP.clientSecret } }, 200);
  const install = await app.inject({ method: 'POST', url: '/integrations/slack/install', headers });
  expect(install.statusCode, install.body).toBe(200);
  const state = new URL(String(install.json().authorize_url)).searchParams.get('state') ?? '';
  const cookies = { slack_install: install.cookies.find((c) => c.name === 'slack_install')?.value ?? '' };
  await ok(app, { method: 'GET', url: `/integrations/slack/callback?code=code-fuzz&state=${encodeURIComponent(state)}`, cookies }, 302);
  await ok(app, { method: 'PUT', url: '/integrations/slack/default-target', headers, payload: { kind: 'channel', id: 'C0000000001' } }, 200);
}

/** A closed-won deal whose contact is a seeded lead, and an order of that lead. */
async function seedDeals(app: FastifyInstance, headers: Record<string, string>, pools: Pools) {
  const lead = pools.leads[0] as string;
  const deal = await ok(app, { method: 'POST', url: '/deals', headers, payload: { name: 'Fuzz deal', stage: 'closedwon', amount: 100, contact_lead_ids: [lead] } });
  pools.deals.push(String(deal.deal_id));
  await ok(app, { method: 'POST', url: '/orders', headers, payload: { lead_id: lead, amount: 5, currency: 'USD' } });
}

/** One trigger of each kind; actions are emails only, so nothing is sent over the network. */
async function seedTriggers(app: FastifyInstance, headers: Record<string, string>, pools: Pools) {
  const emails = ['fuzz@example.com'];
  const pattern = await ok(app, { method: 'POST', url: '/triggers', headers, payload: { name: 'Fuzz pattern', window_seconds: 60, conditions: [{ event_type: 'page_view', min_count: 2 }], emails } });
  pools.patternTriggers.push(String(pattern.trigger_id));
  const milestone = await ok(app, { method: 'POST', url: '/milestones', headers, payload: { event_type: 'page_view', score_threshold: 1, emails } });
  pools.milestones.push(String(milestone.trigger_id));
  const sequence = await ok(app, { method: 'POST', url: '/sequences', headers, payload: { event_types: ['page_view', 'email_open'], window_seconds: 1, window_unit: 'hours', webhook_url: 'https://hooks.example.com/fuzz', emails } });
  pools.sequences.push(String(sequence.trigger_id));
  const surge = await ok(app, { method: 'POST', url: '/surge-triggers', headers, payload: { window_seconds: 60, threshold_count: 3, emails } });
  pools.surgeTriggers.push(String(surge.trigger_id));
}

/** ABM on, a mapping, ruleset and rule of each kind, and accounts made by the accounts backfill. */
async function seedProfileAccounts(app: FastifyInstance, headers: Record<string, string>, pools: Pools) {
  await ok(app, { method: 'PUT', url: '/settings/scoring', headers, payload: { abm_enabled: true } }, 200);
  for (const kind of ['profile', 'account'] as const) {
    const field = `${kind}_property`;
    const mapping = await ok(app, { method: 'POST', url: `/${kind}/mappings`, headers, payload: { source_field: 'campaign', [field]: 'campaign', update_behavior: 'append' } });
    pools.mappings[kind].push(String(mapping.id));
    const set = await ok(app, { method: 'POST', url: `/${kind}/rulesets`, headers, payload: { name: `Fuzz ${kind} set`, is_primary: true } });
    pools.propertyRulesets[kind].push(String(set.id));
    const rule = await ok(app, { method: 'POST', url: `/${kind}/rulesets/${String(set.id)}/rules`, headers, payload: { [field]: 'campaign', condition: 'equals', comparison_value: 'c1', weight: 5 } });
    pools.propertyRules[kind].push(String(rule.id));
  }
  const job = await ok(app, { method: 'POST', url: '/admin/backfill/accounts', headers }, 202);
  pools.jobs.push(String(job.job_id));
  await app.jobs.drain();
  const list = (await ok(app, { method: 'GET', url: '/accounts', headers }, 200)) as { accounts?: Array<{ account_id: string }> };
  pools.accounts.push(...(list.accounts ?? []).map((a) => a.account_id));
}

/**
 * An organization whose owner has data behind every route: a second OU, a member, credentials,
 * leads with scored events, rulesets, rules, levels of each kind, a decay, a filter, a mapping, and
 * a Slack connection (through the fake Slack API the fuzz test starts).
 */
export async function seedTenant(app: FastifyInstance): Promise<Tenant> {
  const owner = await signup(app);
  const activeOu = await loginCookie(app, owner);
  const headers = owner.headers;
  const cookies = { activeOu };
  const second = await ok(app, { method: 'POST', url: '/org-units', headers, cookies, payload: { name: 'Fuzz second OU' } });
  const victim = await addMember(app, owner);
  await assign(app, owner, owner.unitId, victim.memberId, 'Viewer');
  const basic = (await createCredential(app, owner, cookies)).headers;
  const victimCredential = (await createCredential(app, owner, cookies)).id;
  const pools: Pools = {
    units: [owner.unitId, String(second.unit_id)],
    leads: [],
    events: [],
    eventTypes: [],
    emails: [],
    rulesets: [],
    rulesetNames: [],
    rules: [],
    levels: { engagement: [], profile: [], account: [] },
    decays: [],
    filters: [],
    segments: [],
    segmentRules: [],
    campaigns: [],
    deals: [],
    patternTriggers: [],
    milestones: [],
    sequences: [],
    surgeTriggers: [],
    deliveries: [],
    mappings: { profile: [], account: [] },
    propertyRulesets: { profile: [], account: [] },
    propertyRules: { profile: [], account: [] },
    accounts: [],
    jobs: [],
    victimMember: victim.memberId,
    victimEmail: victim.email,
    victimCredential,
  };
  const ouHeaders = { ...headers, cookie: `activeOu=${encodeURIComponent(activeOu)}` };
  await seedScoring(app, ouHeaders, pools);
  await seedTriggers(app, ouHeaders, pools);
  await seedEvents(app, ouHeaders, pools);
  await seedSlack(app, ouHeaders);
  await seedProfileAccounts(app, ouHeaders, pools);
  await app.scoringWorker.drain();
  await seedDeals(app, ouHeaders, pools);
  // The milestone on page_view fired for the seeded leads: its (email) deliveries wait in the outbox.
  const deliveries = (await ok(app, { method: 'GET', url: '/deliveries', headers: ouHeaders }, 200)) as unknown as Array<{ delivery_id: string }>;
  pools.deliveries.push(...deliveries.map((d) => d.delivery_id));
  return { owner, activeOu, basic, pools };
}

/** Existing values for a path parameter: by parameter name, else by the path before it. */
export function pathValues(pools: Pools, op: Operation, param: Parameter): string[] {
  const byName: Record<string, string[]> = {
    leadID: pools.leads,
    eventID: pools.events,
    eventType: pools.eventTypes,
    memberId: [pools.victimMember],
    ruleId: op.path.startsWith('/profile/') ? pools.propertyRules.profile : op.path.startsWith('/account/') ? pools.propertyRules.account : pools.segmentRules,
    jobId: pools.jobs,
    campaign_name: pools.campaigns,
    file: ['swagger-ui-bundle.js', 'index.css'],
  };
  if (byName[param.name]) return byName[param.name] ?? [];
  const prefix = op.path.slice(0, op.path.indexOf(`/{${param.name}}`));
  const byPrefix: Record<string, string[]> = {
    '/org-units': pools.units,
    '/org/members': [pools.victimMember],
    '/secrets': [pools.victimCredential],
    '/rulesets': pools.rulesets,
    '/rules': pools.rules,
    '/levels/engagement': pools.levels.engagement,
    '/levels/profile': pools.levels.profile,
    '/levels/account': pools.levels.account,
    '/decays': pools.decays,
    '/filters': pools.filters,
    '/segments': pools.segments,
    '/deals': pools.deals,
    '/triggers': pools.patternTriggers,
    '/milestones': pools.milestones,
    '/sequences': pools.sequences,
    '/surge-triggers': pools.surgeTriggers,
    '/deliveries': pools.deliveries,
    '/profile/mappings': pools.mappings.profile,
    '/account/mappings': pools.mappings.account,
    '/profile/rulesets': pools.propertyRulesets.profile,
    '/account/rulesets': pools.propertyRulesets.account,
    '/accounts': pools.accounts,
  };
  return byPrefix[prefix] ?? [];
}

/** Existing values a body or query field of this name may take, so valid requests find what they name. */
export function namedValues(pools: Pools) {
  const byName: Record<string, string[]> = {
    lead_id: pools.leads,
    lead_ids: pools.leads,
    contact_lead_ids: pools.leads,
    trigger_id: [...pools.milestones, ...pools.sequences, ...pools.patternTriggers],
    event_type: pools.eventTypes,
    canonical_type: pools.eventTypes,
    ruleset_id: pools.rulesets,
    ruleset: pools.rulesetNames,
    org_member_id: [pools.victimMember],
    ouId: pools.units,
    ids: pools.events,
    raw_value: pools.emails,
    alias: pools.emails,
    emails: pools.emails,
    email: [pools.victimEmail],
    password: ['member password 1'],
  };
  return (field: string) => byName[field];
}

/** Authentication for a caller: the owner's JWT pinned to the seeded OU, the OU's Basic credential, or nothing. */
export function callerHeaders(tenant: Tenant, caller: Caller): Record<string, string> {
  if (caller === 'jwt') return { ...tenant.owner.headers, cookie: `activeOu=${encodeURIComponent(tenant.activeOu)}` };
  if (caller === 'basic') return tenant.basic;
  return {};
}
