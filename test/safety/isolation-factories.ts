import { asOwner, type Method, type World } from './isolation-world.js';

/**
 * A value that identifies an object of OU A. `ou`: no caller outside OU A may ever see it;
 * `org`: organization-level (members), visible to the members of org A by design.
 */
export interface Identifier {
  value: string;
  scope: 'ou' | 'org';
}

/** One object made in OU A of org A, through the API, as the owner. */
export interface Made {
  /** A value for every path parameter of the routes this factory serves (and more values other checks use). */
  params: Record<string, string>;
  /** A valid body per mutation method: the owner's same call succeeds, so a refusal is not a 400. */
  bodies?: Partial<Record<Method, unknown>>;
  /** A query string (from `?`) the route needs besides its path parameters. */
  query?: string;
  /** Owner GETs that show the object; their answers must not change under foreign calls. */
  readBack: string[];
  identifiers: Identifier[];
}

export interface Factory {
  kind: string;
  /**
   * Set when this path parameter names something in the caller's own OU (an event type), not a
   * stored row: a foreign caller may get an answer about its own OU, which must be the one it gets
   * for a name used nowhere, and nothing outside its OU may change. Otherwise foreign callers get
   * 403/404.
   */
  nameParam?: string;
  make(w: World): Promise<Made>;
}

let counter = 0;
const next = () => ++counter;
const ou = (...values: string[]): Identifier[] => values.map((value) => ({ value, scope: 'ou' as const }));

/**
 * A lead made by ingestion (alias email), with one scored event of a type and metadata key unique
 * to it. Leads with client-chosen ids: clientLead.
 */
const leadWithEvent: Factory = {
  kind: 'lead with a scored event',
  async make(w) {
    const n = next();
    const eventType = `iso_type_${w.tag}_${n}`;
    const propertyKey = `iso_key_${w.tag}_${n}`;
    const email = `lead-${w.tag}-${n}@a.example`;
    await asOwner(w, 'POST', '/rules', { event_type: eventType, weight: 7 }, 201);
    const res = await asOwner<{ metadata: { event_id: string; lead_id: string } }>(w, 'POST', '/events', {
      aliases: [{ alias_kind: 'email', raw_value: email }],
      event_type: eventType,
      metadata: { [propertyKey]: 'on' },
    }, 202);
    await w.app.scoringWorker.drain();
    const { event_id: eventID, lead_id: leadID } = res.metadata;
    return {
      params: { leadID, eventID, eventType, alias: email, propertyKey },
      readBack: [`/leads/${leadID}/events`, `/leads/${leadID}/score`, `/leads/${leadID}/aliases`, `/events/${eventID}/explain`],
      identifiers: ou(leadID, eventID, email, eventType, propertyKey),
    };
  },
};

/** A lead made with POST /leads (client-chosen id), with an alias from one ingested event. */
const clientLead: Factory = {
  kind: 'lead with a client-chosen id',
  async make(w) {
    const n = next();
    const leadID = `iso-lead-${w.tag}-${n}`;
    const propertyKey = `iso_lead_key_${w.tag}_${n}`;
    const email = `client-lead-${w.tag}-${n}@a.example`;
    await asOwner(w, 'POST', '/leads', { id: leadID, metadata: { [propertyKey]: 'on' } }, 201);
    await asOwner(w, 'POST', '/events', { lead_id: leadID, event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: email }] }, 202);
    return {
      params: { leadID },
      bodies: { PUT: { metadata: { [propertyKey]: 'replaced' } }, PATCH: { [propertyKey]: 'patched' } },
      readBack: [`/leads/${leadID}`, `/leads/${leadID}/aliases`],
      identifiers: ou(leadID, propertyKey, email),
    };
  },
};

/** A lead whose deletion ran to completion: its deletion status is all that is left of it. */
const deletedLead: Factory = {
  kind: 'deleted lead',
  async make(w) {
    const leadID = `iso-deleted-${w.tag}-${next()}`;
    await asOwner(w, 'POST', '/leads', { id: leadID }, 201);
    await asOwner(w, 'DELETE', `/leads/${leadID}`, undefined, 202);
    await w.app.jobs.drain();
    return { params: { leadID }, readBack: [`/leads/${leadID}/deletion-status`], identifiers: ou(leadID) };
  },
};

const eventTypeName: Factory = {
  kind: 'event type',
  nameParam: 'eventType',
  async make(w) {
    const made = await leadWithEvent.make(w);
    return { ...made, bodies: { PUT: { hidden: true } }, readBack: ['/settings/event-types', '/event-types'] };
  },
};

/** A UTM campaign (source, medium) of OU A, named after nothing else, with one lead touched by it. */
const campaign: Factory = {
  kind: 'UTM campaign',
  nameParam: 'campaign_name',
  async make(w) {
    const n = next();
    const name = `iso_campaign_${w.tag}_${n}`;
    const email = `campaign-${w.tag}-${n}@a.example`;
    const res = await asOwner<{ metadata: { lead_id: string } }>(w, 'POST', '/events', {
      aliases: [{ alias_kind: 'email', raw_value: email }],
      event_type: 'page_view',
      metadata: { utm_campaign: name, utm_source: `${name}_src`, utm_medium: `${name}_med` },
    }, 202);
    await w.app.scoringWorker.drain();
    return {
      params: { campaign_name: name },
      readBack: ['/analytics/campaigns', `/analytics/campaigns/${name}/leads`, '/analytics/campaigns?group_by=source'],
      identifiers: ou(name, `${name}_src`, `${name}_med`, res.metadata.lead_id, email),
    };
  },
};

/** A closed-won deal of OU A whose contact is a lead with a scored event (attribution insights show its type). */
const deal: Factory = {
  kind: 'deal',
  async make(w) {
    const contact = await leadWithEvent.make(w);
    const name = `iso deal ${w.tag} ${next()}`;
    const leadID = contact.params.leadID as string;
    const made = await asOwner<{ deal_id: string }>(w, 'POST', '/deals', { name, stage: 'closedwon', amount: 1234, contact_lead_ids: [leadID] }, 201);
    return {
      params: { id: made.deal_id },
      bodies: { PATCH: { name: `${name} renamed`, stage: 'negotiation' } },
      readBack: ['/deals', `/deals/${made.deal_id}`, '/deals/attribution-insights'],
      identifiers: ou(made.deal_id, name, ...contact.identifiers.map((i) => i.value)),
    };
  },
};

/** A lead with a scored event and an order: its activity stream shows both. */
const leadWithOrder: Factory = {
  kind: 'lead with an event and an order',
  async make(w) {
    const made = await leadWithEvent.make(w);
    const leadID = made.params.leadID as string;
    const orderId = `iso-order-${w.tag}-${next()}`;
    const order = await asOwner<{ id: string }>(w, 'POST', '/orders', { lead_id: leadID, order_id: orderId, amount: 10, currency: 'USD' }, 201);
    return {
      ...made,
      readBack: [...made.readBack, `/leads/${leadID}/activity?range=all`],
      identifiers: [...made.identifiers, ...ou(orderId, order.id)],
    };
  },
};

const orgUnit: Factory = {
  kind: 'OU of org A',
  async make(w) {
    const name = `OU iso ${w.tag} ${next()}`;
    const unit = await asOwner<{ unit_id: string }>(w, 'POST', '/org-units', { name }, 201);
    return {
      params: { id: unit.unit_id },
      bodies: { PUT: { name: `${name} renamed` } },
      readBack: ['/org-units', `/org-units/${unit.unit_id}/members`],
      identifiers: ou(unit.unit_id, name),
    };
  },
};

async function newMember(w: World) {
  const email = `member-${w.tag}-${next()}@a.example`;
  const payload = { first_name: 'Iso', last_name: 'Member', email, password: 'member password 1', role: 'member' };
  const member = await asOwner<{ org_member_id: string }>(w, 'POST', '/org/members', payload, 201);
  return { id: member.org_member_id, email };
}

const orgMember: Factory = {
  kind: 'member of org A',
  async make(w) {
    const { id, email } = await newMember(w);
    return {
      params: { id },
      bodies: { PUT: { first_name: 'Renamed' } },
      readBack: ['/org/members'],
      identifiers: [
        { value: id, scope: 'org' },
        { value: email, scope: 'org' },
      ],
    };
  },
};

/** OU A's member list, with a member of org A not yet in it to assign. */
const unitMembers: Factory = {
  kind: 'OU A memberships',
  async make(w) {
    const { id, email } = await newMember(w);
    return {
      params: { id: w.unitA },
      bodies: { POST: { org_member_id: id, role: 'Viewer' } },
      readBack: [`/org-units/${w.unitA}/members`],
      identifiers: [{ value: email, scope: 'org' }],
    };
  },
};

const unitMembership: Factory = {
  kind: 'membership in OU A',
  async make(w) {
    const { id, email } = await newMember(w);
    await asOwner(w, 'POST', `/org-units/${w.unitA}/members`, { org_member_id: id, role: 'Viewer' }, 200);
    return {
      params: { id: w.unitA, memberId: id },
      bodies: { PUT: { role: 'Operator' } },
      readBack: [`/org-units/${w.unitA}/members`],
      identifiers: [{ value: email, scope: 'org' }],
    };
  },
};

const credential: Factory = {
  kind: 'API credential of OU A',
  async make(w) {
    const name = `cred-${w.tag}-${next()}`;
    const made = await asOwner<{ secret_id: string; client_id: string }>(w, 'POST', '/secrets', { name }, 201);
    return { params: { id: made.secret_id }, readBack: ['/secrets'], identifiers: ou(made.secret_id, made.client_id, name) };
  },
};

const ruleset: Factory = {
  kind: 'ruleset',
  async make(w) {
    const name = `Ruleset iso ${w.tag} ${next()}`;
    const made = await asOwner<{ ruleset_id: string }>(w, 'POST', '/rulesets', { name }, 201);
    return { params: { id: made.ruleset_id, name }, readBack: ['/rulesets', `/rulesets/${made.ruleset_id}/rules`], identifiers: ou(made.ruleset_id, name) };
  },
};

const rule: Factory = {
  kind: 'scoring rule',
  async make(w) {
    const eventType = `iso_rule_${w.tag}_${next()}`;
    const made = await asOwner<{ rule_id: string }>(w, 'POST', '/rules', { event_type: eventType, weight: 3 }, 201);
    return { params: { id: made.rule_id }, bodies: { PUT: { weight: 9 } }, readBack: ['/rules'], identifiers: ou(made.rule_id, eventType) };
  },
};

function level(kind: 'engagement' | 'profile' | 'account'): Factory {
  return {
    kind: `${kind} level`,
    async make(w) {
      const n = next();
      // Far above the default engagement levels (0..1000000), and apart from each other: no overlap.
      const body = { name: `Level iso ${w.tag} ${n}`, min_score: 2_000_000 + n * 10, max_score: 2_000_000 + n * 10 + 5 };
      const made = await asOwner<{ level_id: string }>(w, 'POST', `/levels/${kind}`, body, 201);
      return {
        params: { id: made.level_id },
        bodies: { PUT: { ...body, name: `${body.name} renamed` } },
        readBack: [`/levels/${kind}`],
        identifiers: ou(made.level_id, body.name),
      };
    },
  };
}

const decay: Factory = {
  kind: 'decay rule',
  async make(w) {
    const made = await asOwner<{ decay_id: string }>(w, 'POST', '/decays', { inactive_for: 1000 + next(), unit: 'days', decrease: 1 }, 201);
    return { params: { id: made.decay_id }, bodies: { PUT: { decrease: 2 } }, readBack: ['/decays'], identifiers: ou(made.decay_id) };
  },
};

const filter: Factory = {
  kind: 'inorganic filter',
  async make(w) {
    const eventType = `iso_filter_${w.tag}_${next()}`;
    const body = { event_type: eventType, count_threshold: 50, time_window_ms: 60_000 };
    const made = await asOwner<{ filter_id: string }>(w, 'POST', '/filters', body, 201);
    return { params: { id: made.filter_id }, bodies: { PUT: { count_threshold: 60 } }, readBack: ['/filters'], identifiers: ou(made.filter_id, eventType) };
  },
};

const segmentRuleBody = (value: string) => ({ rule_type: 'lead_metadata', field_name: 'plan', operator: 'equals', value });

/** A segment with one rule that matches A's leads of plan "iso" (so count and leads are non-trivial reads). */
async function makeSegment(w: World) {
  const name = `Segment iso ${w.tag} ${next()}`;
  const made = await asOwner<{ segment_id: string }>(w, 'POST', '/segments', { name }, 201);
  const id = made.segment_id;
  const rule = await asOwner<{ rule_id: string }>(w, 'POST', `/segments/${id}/rules`, segmentRuleBody('iso'), 201);
  const readBack = ['/segments', `/segments/${id}/rules`, `/segments/${id}/count`];
  return { id, name, ruleId: rule.rule_id, readBack };
}

const segment: Factory = {
  kind: 'segment',
  async make(w) {
    const { id, name, ruleId, readBack } = await makeSegment(w);
    return {
      params: { id },
      bodies: { PUT: { name: `${name} renamed` }, POST: segmentRuleBody('other') },
      readBack,
      identifiers: ou(id, name, ruleId),
    };
  },
};

const segmentRule: Factory = {
  kind: 'segment rule',
  async make(w) {
    const { id, name, ruleId, readBack } = await makeSegment(w);
    return { params: { id, ruleId }, bodies: { PUT: { value: 'changed' } }, readBack, identifiers: ou(id, name, ruleId) };
  },
};

/** OU A's surge metrics over a window around a scored event of it (start and end are required). */
const surgeMetrics: Factory = {
  kind: 'surge metrics of OU A',
  async make(w) {
    const made = await leadWithEvent.make(w);
    const day = 86_400_000;
    const query = `?start=${new Date(Date.now() - day).toISOString()}&end=${new Date(Date.now() + day).toISOString()}`;
    return { params: { ouId: w.unitA }, query, readBack: [`/org-units/${w.unitA}/surge-metrics${query}`], identifiers: [...made.identifiers.filter((i) => i.value === made.params.eventType), ...ou(w.unitA)] };
  },
};

const EMAILS = ['iso@example.com'];

/** A trigger of one family (actions: emails only, so nothing goes over the network). */
function trigger(path: string, kind: string, body: (tag: string) => Record<string, unknown>, update: Record<string, unknown>, reads: string[] = []): Factory {
  return {
    kind,
    async make(w) {
      const made = await asOwner<{ trigger_id: string }>(w, 'POST', path, { ...body(`${w.tag}_${next()}`), emails: EMAILS }, 201);
      const id = made.trigger_id;
      return { params: { id }, bodies: { PUT: update, POST: { days: 7 } }, readBack: [path, ...reads], identifiers: ou(id) };
    },
  };
}

/** Turns ABM on for org A (the /account… routes answer 403 abm_disabled without it). */
const abmOn = (w: World) => asOwner(w, 'PUT', '/settings/scoring', { abm_enabled: true }, 200);

function fieldMapping(kind: 'profile' | 'account'): Factory {
  const root = kind === 'profile' ? '/profile' : '/account';
  const field = `${kind}_property`;
  return {
    kind: `${kind} field mapping`,
    async make(w) {
      if (kind === 'account') await abmOn(w);
      const source = `iso_src_${w.tag}_${next()}`;
      const made = await asOwner<{ id: string }>(w, 'POST', `${root}/mappings`, { source_field: source, [field]: `${source}_prop` }, 201);
      return {
        params: { id: made.id },
        bodies: { PUT: { source_field: source, [field]: `${source}_other` } },
        readBack: [`${root}/mappings`],
        identifiers: ou(made.id, source),
      };
    },
  };
}

const patternTrigger = trigger('/triggers', 'pattern trigger', (tag) => ({ name: `iso pattern ${tag}`, window_seconds: 60, conditions: [{ event_type: `iso_p_${tag}`, min_count: 2 }] }), { window_seconds: 120 });
const milestoneTrigger = trigger('/milestones', 'milestone trigger', (tag) => ({ event_type: `iso_m_${tag}`, score_threshold: 10 }), { score_threshold: 20 }, ['/milestones/events']);
const sequenceTrigger = trigger('/sequences', 'sequence trigger', (tag) => ({ event_types: [`iso_a_${tag}`, `iso_b_${tag}`], window_seconds: 1, window_unit: 'hours', webhook_url: 'https://hooks.example.com/iso' }), { ordered: false }, ['/sequences/events']);
const surgeTrigger = trigger('/surge-triggers', 'surge trigger', () => ({ window_seconds: 60, threshold_count: 3 }), { threshold_count: 4 });

/** A delivery of OU A: a milestone (emails) fired by a scored event; it waits in the outbox or is skipped (no SMTP). */
const delivery: Factory = {
  kind: 'delivery',
  async make(w) {
    const eventType = `iso_d_${w.tag}_${next()}`;
    await asOwner(w, 'POST', '/rules', { event_type: eventType, weight: 5 }, 201);
    await asOwner(w, 'POST', '/milestones', { event_type: eventType, score_threshold: 1, emails: EMAILS }, 201);
    await asOwner(w, 'POST', '/events', { aliases: [{ alias_kind: 'email', raw_value: `${eventType}@a.example` }], event_type: eventType }, 202);
    await w.app.scoringWorker.drain();
    const [made] = await asOwner<Array<{ delivery_id: string }>>(w, 'GET', '/deliveries?limit=1', undefined, 200);
    const id = (made as { delivery_id: string }).delivery_id;
    return { params: { id }, readBack: ['/deliveries'], identifiers: ou(id) };
  },
};

const propertyRuleBody = (kind: string, value: string) => ({ [`${kind}_property`]: 'plan', condition: 'equals', comparison_value: value, weight: 5 });

function propertyRuleset(kind: 'profile' | 'account', withRule: boolean): Factory {
  const root = kind === 'profile' ? '/profile' : '/account';
  return {
    kind: withRule ? `${kind} rule` : `${kind} rule set`,
    async make(w) {
      if (kind === 'account') await abmOn(w);
      const name = `Iso ${kind} set ${w.tag} ${next()}`;
      const set = await asOwner<{ id: string }>(w, 'POST', `${root}/rulesets`, { name }, 201);
      const rule = await asOwner<{ id: string }>(w, 'POST', `${root}/rulesets/${set.id}/rules`, propertyRuleBody(kind, 'iso'), 201);
      return {
        params: { id: set.id, ruleId: rule.id },
        bodies: withRule ? { PUT: { weight: 9 } } : { PUT: { name: `${name} renamed` }, POST: propertyRuleBody(kind, 'other') },
        readBack: [`${root}/rulesets`, `${root}/rulesets/${set.id}/rules`],
        identifiers: ou(set.id, rule.id, name),
      };
    },
  };
}

/** An account made by the accounts backfill from a lead's work email. */
const account: Factory = {
  kind: 'account',
  async make(w) {
    await abmOn(w);
    const domain = `iso-${w.tag}-${next()}.example`;
    const res = await asOwner<{ metadata: { lead_id: string } }>(w, 'POST', '/events', { event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: `ann@${domain}` }] }, 202);
    await asOwner(w, 'POST', '/admin/backfill/accounts', undefined, 202);
    await w.app.jobs.drain();
    const lead = await asOwner<{ lead: { account_id: string } }>(w, 'GET', `/leads/${res.metadata.lead_id}`, undefined, 200);
    const id = lead.lead.account_id;
    return { params: { id }, readBack: ['/accounts', `/accounts/${id}`], identifiers: ou(id, domain) };
  },
};

/** A finished profile-mappings job of OU A. */
const adminJob: Factory = {
  kind: 'admin job',
  async make(w) {
    const job = await asOwner<{ job_id: string }>(w, 'POST', '/admin/profile-mappings/apply', undefined, 202);
    await w.app.jobs.drain();
    return { params: { jobId: job.job_id }, readBack: [`/admin/jobs/${job.job_id}`], identifiers: ou(job.job_id) };
  },
};

/**
 * The factory of every route pattern with a path parameter. A route added with a path id and no
 * entry here fails the isolation matrix: add its pattern with the factory of its resource (or a
 * new one that creates the object through the API as the owner of OU A).
 */
export const FACTORIES: Record<string, Factory> = {
  '/org-units/:id': orgUnit,
  '/org-units/:id/members': unitMembers,
  '/org-units/:id/members/:memberId': unitMembership,
  '/org/members/:id': orgMember,
  '/secrets/:id': credential,
  '/leads/:leadID': clientLead,
  '/leads/:leadID/metadata': clientLead,
  '/leads/:leadID/deletion-status': deletedLead,
  '/leads/:leadID/aliases': leadWithEvent,
  '/leads/:leadID/events': leadWithEvent,
  '/leads/:leadID/score': leadWithEvent,
  '/leads/:leadID/explain': leadWithEvent,
  '/events/:eventID/explain': leadWithEvent,
  '/event-types/:eventType/properties': eventTypeName,
  '/settings/event-types/:eventType': eventTypeName,
  '/settings/event-types/:eventType/delete-preview': eventTypeName,
  '/settings/event-types/:eventType/events': eventTypeName,
  '/rulesets/:id': ruleset,
  '/rulesets/:id/rules': ruleset,
  '/rules/:id': rule,
  '/levels/engagement/:id': level('engagement'),
  '/levels/profile/:id': level('profile'),
  '/levels/account/:id': level('account'),
  '/decays/:id': decay,
  '/filters/:id': filter,
  '/segments/:id': segment,
  '/segments/:id/count': segment,
  '/segments/:id/leads': segment,
  '/segments/:id/rules': segment,
  '/segments/:id/rules/:ruleId': segmentRule,
  '/analytics/campaigns/:campaign_name/leads': campaign,
  '/deals/:id': deal,
  '/leads/:leadID/activity': leadWithOrder,
  '/org-units/:ouId/surge-metrics': surgeMetrics,
  '/triggers/:id': patternTrigger,
  '/milestones/:id': milestoneTrigger,
  '/milestones/:id/simulate': milestoneTrigger,
  '/sequences/:id': sequenceTrigger,
  '/sequences/:id/simulate': sequenceTrigger,
  '/surge-triggers/:id': surgeTrigger,
  '/deliveries/:id/replay': delivery,
  '/leads/:leadID/rescore': leadWithEvent,
  '/leads/:leadID/profile': clientLead,
  '/leads/:leadID/account': clientLead,
  '/profile/mappings/:id': fieldMapping('profile'),
  '/profile/rulesets/:id': propertyRuleset('profile', false),
  '/profile/rulesets/:id/rules': propertyRuleset('profile', false),
  '/profile/rulesets/:id/rules/:ruleId': propertyRuleset('profile', true),
  '/account/mappings/:id': fieldMapping('account'),
  '/account/rulesets/:id': propertyRuleset('account', false),
  '/account/rulesets/:id/rules': propertyRuleset('account', false),
  '/account/rulesets/:id/rules/:ruleId': propertyRuleset('account', true),
  '/accounts/:id': account,
  '/admin/jobs/:jobId': adminJob,
};

/**
 * Routes with a path parameter that name no tenant object, exempt from the matrix (keep it short).
 */
export const PATH_EXEMPT: Record<string, string> = {
  '/docs/static/:file': 'public Swagger UI assets, the same files for everyone',
  '/app/:file': 'public dashboard assets (web/dist), the same files for everyone',
};
