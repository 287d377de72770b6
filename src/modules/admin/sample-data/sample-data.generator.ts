/**
 * The sample dataset of POST /admin/seed (docs/sample-data.md): ~20 accounts, ~200 leads and
 * ~5,000 events over the last 90 days — web sessions with referrers and UTM campaigns, some ending
 * in a conversion, newsletter emails and webinars. A fixed pseudo-random seed makes every run the
 * same shape (relative to `now`), so the sample reads the same in every demo and test.
 */
import { createHash } from 'node:crypto';
import { SAMPLE_SOURCE } from './sample-data.constants.js';

export interface SampleAccount {
  id: string;
  name: string;
  domain: string;
  industry: string;
}
export interface SampleLead {
  id: string;
  accountId: string;
  email: string;
  metadata: Record<string, string>;
}
export interface SampleEvent {
  leadId: string;
  email: string;
  eventType: string;
  at: Date;
  metadata: Record<string, string | boolean>;
}
/** A deal and the stages it moves through, in order (each entry records its contacts' scores, semantics §8). */
export interface SampleDeal {
  name: string;
  accountId: string;
  amount: number;
  stages: string[];
  /** Days before now a deal closed at the last phase (closed stages only). */
  closedDaysAgo: number | null;
}
export interface SampleDataset {
  accounts: SampleAccount[];
  deals: SampleDeal[];
  leads: SampleLead[];
  /** Sorted by time: ingestion order is scoring order. */
  events: SampleEvent[];
}

/** Scoring rules the sample needs; POST /admin/seed adds those whose event type has no rule yet. */
export const SAMPLE_RULES: ReadonlyArray<{ event_type: string; weight: number }> = [
  { event_type: 'page_view', weight: 1 },
  { event_type: 'email_open', weight: 1 },
  { event_type: 'email_click', weight: 3 },
  { event_type: 'content_download', weight: 8 },
  { event_type: 'webinar_registered', weight: 5 },
  { event_type: 'webinar_attended', weight: 10 },
  { event_type: 'form_submit', weight: 15 },
  { event_type: 'demo_request', weight: 30 },
];

const COMPANIES = [
  ['Acme Robotics', 'Manufacturing'], ['Globex Logistics', 'Logistics'], ['Initech Software', 'Software'],
  ['Umbrella Health', 'Healthcare'], ['Stark Energy', 'Energy'], ['Wayne Financial', 'Financial Services'],
  ['Hooli Cloud', 'Software'], ['Vandelay Imports', 'Retail'], ['Soylent Foods', 'Food & Beverage'],
  ['Cyberdyne Systems', 'Manufacturing'], ['Tyrell Biotech', 'Healthcare'], ['Wonka Confections', 'Food & Beverage'],
  ['Aperture Labs', 'Research'], ['Oscorp Materials', 'Chemicals'], ['Pied Piper', 'Software'],
  ['Massive Dynamic', 'Research'], ['Nakatomi Trading', 'Financial Services'], ['Gringotts Payments', 'Financial Services'],
  ['Dunder Paper', 'Retail'], ['Bluth Properties', 'Real Estate'],
] as const;
const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kara', 'Luis', 'Maya', 'Nils', 'Olga', 'Priya'];
const LAST = ['Nguyen', 'Smith', 'Garcia', 'Müller', 'Rossi', 'Kowalski', 'Silva', 'Okafor', 'Tanaka', 'Larsen', 'Haddad', 'Dubois'];
const TITLES = ['VP Marketing', 'Marketing Manager', 'Head of Growth', 'Sales Director', 'CTO', 'Demand Gen Lead', 'RevOps Analyst', 'CMO'];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'CA', 'AU', 'SE'];
const SITE = 'https://www.leadvibe.example';
const PAGES = ['/', '/product', '/pricing', '/customers', '/blog/scoring-101', '/blog/abm-playbook', '/docs', '/integrations'];

/** How a web session arrived: the first event's referrer and UTM keys (semantics §9). */
const ARRIVALS: ReadonlyArray<{ weight: number; referrer?: string; utm?: Record<string, string> }> = [
  { weight: 4, referrer: 'https://www.google.com/', utm: { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring_launch' } },
  { weight: 2, referrer: 'https://www.google.com/', utm: { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'brand_search', utm_term: 'lead scoring' } },
  { weight: 3, referrer: 'https://www.linkedin.com/', utm: { utm_source: 'linkedin', utm_medium: 'social', utm_campaign: 'abm_q3', utm_content: 'carousel' } },
  { weight: 2, utm: { utm_source: 'partner', utm_medium: 'referral', utm_campaign: 'partner_promo' } },
  { weight: 4, referrer: 'https://www.google.com/' },
  { weight: 2, referrer: 'https://news.ycombinator.com/' },
  { weight: 3 },
];
const NEWSLETTER = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'newsletter_weekly' };
const WEBINAR = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'webinar_series' };
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** mulberry32: a small, fast, seedable generator (Math.random cannot be seeded). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Random = ReturnType<typeof prng>;
const pick = <T>(rnd: Random, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const between = (rnd: Random, min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));

function pickWeighted<T extends { weight: number }>(rnd: Random, items: readonly T[]): T {
  let r = rnd() * items.reduce((sum, i) => sum + i.weight, 0);
  for (const item of items) if ((r -= item.weight) < 0) return item;
  return items[items.length - 1] as T;
}

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** A stable UUID per company (deals take account ids as UUIDs): the same sample ids on every run. */
function accountId(name: string): string {
  const h = createHash('md5').update(`leadvibe-sample-account:${slug(name)}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function makeAccounts(): SampleAccount[] {
  return COMPANIES.map(([name, industry]) => ({ id: accountId(name), name, domain: `${slug(name)}.example`, industry }));
}

const WON = ['MQL', 'SQL', 'Proposal', 'Closed Won'];
const LOST = ['MQL', 'SQL', 'Closed Lost'];
const OPEN = ['MQL', 'SQL', 'Proposal'];

/** 14 deals over the first accounts: 6 won, 3 lost, 5 still open, amounts from 12k to 140k. */
function makeDeals(rnd: Random, accounts: SampleAccount[]): SampleDeal[] {
  const paths = [WON, WON, OPEN, WON, LOST, OPEN, WON, OPEN, LOST, WON, OPEN, WON, LOST, OPEN];
  return paths.map((stages, i) => {
    const account = accounts[i] as SampleAccount;
    const closed = stages === WON || stages === LOST;
    return {
      name: `${account.name} — ${i % 3 === 0 ? 'Enterprise plan' : i % 3 === 1 ? 'Team plan' : 'Expansion'}`,
      accountId: account.id,
      amount: 1000 * between(rnd, 12, 140),
      stages,
      closedDaysAgo: closed ? between(rnd, 1, 14) : null,
    };
  });
}

function makeLeads(rnd: Random, accounts: SampleAccount[], perAccount: number): SampleLead[] {
  const leads: SampleLead[] = [];
  for (const account of accounts) {
    for (let i = 0; i < perAccount; i++) {
      const first = pick(rnd, FIRST);
      const last = pick(rnd, LAST);
      const n = leads.length + 1;
      const email = `${first}.${last}${n}@${account.domain}`.toLowerCase();
      leads.push({
        id: `seed-${String(n).padStart(4, '0')}`,
        accountId: account.id,
        email,
        metadata: {
          source: SAMPLE_SOURCE, first_name: first, last_name: last, title: pick(rnd, TITLES),
          company: account.name, company_domain: account.domain, industry: account.industry, country: pick(rnd, COUNTRIES),
        },
      });
    }
  }
  return leads;
}

/** One web session: page views a minute or few apart, sometimes ending in a conversion. */
function webSession(rnd: Random, lead: SampleLead, start: number, intent: number): SampleEvent[] {
  const arrival = pickWeighted(rnd, ARRIVALS);
  const context: Record<string, string> = { ...(arrival.utm ?? {}) };
  const events: SampleEvent[] = [];
  let at = start;
  const add = (eventType: string, metadata: Record<string, string | boolean>) =>
    events.push({ leadId: lead.id, email: lead.email, eventType, at: new Date(at), metadata: { source: SAMPLE_SOURCE, ...context, ...metadata } });
  const views = between(rnd, 2, 5 + Math.round(intent * 6));
  for (let i = 0; i < views; i++) {
    const page = i === 0 ? pick(rnd, PAGES) : pick(rnd, PAGES.slice(1));
    add('page_view', { url: `${SITE}${page}`, ...(i === 0 && arrival.referrer ? { referrer: arrival.referrer } : {}) });
    at += between(rnd, 1, 4) * MINUTE_MS + between(rnd, 0, 59) * 1000;
  }
  if (rnd() < 0.15) add('content_download', { url: `${SITE}/whitepaper`, asset: 'state-of-lead-scoring.pdf' });
  if (rnd() < intent * 0.35) {
    if (rnd() < 0.5) add('demo_request', { url: `${SITE}/demo`, conversion_type: 'html_form', conversion_id: 'demo' });
    else add('form_submit', { url: `${SITE}/contact`, conversion_type: 'hubspot_form', conversion_id: 'contact-us' });
  }
  return events;
}

/** Newsletter opens and clicks, webinar registrations and attendance (email and webinar channels). */
function campaignTouches(rnd: Random, lead: SampleLead, from: number, span: number, intent: number): SampleEvent[] {
  const events: SampleEvent[] = [];
  const add = (eventType: string, at: number, context: Record<string, string>) =>
    events.push({ leadId: lead.id, email: lead.email, eventType, at: new Date(at), metadata: { source: SAMPLE_SOURCE, ...context } });
  const opens = between(rnd, 0, 2 + Math.round(intent * 4));
  for (let i = 0; i < opens; i++) {
    const at = from + Math.floor(rnd() * span);
    add('email_open', at, NEWSLETTER);
    if (rnd() < 0.3 + intent * 0.3) add('email_click', at + between(rnd, 1, 90) * MINUTE_MS, NEWSLETTER);
  }
  if (rnd() < 0.2 + intent * 0.4) {
    const at = from + Math.floor(rnd() * span);
    add('webinar_registered', at, WEBINAR);
    if (rnd() < 0.6) add('webinar_attended', at + between(rnd, 2, 10) * DAY_MS, WEBINAR);
  }
  return events;
}

function leadEvents(rnd: Random, lead: SampleLead, now: number, days: number): SampleEvent[] {
  // A few very engaged leads, many occasional ones: intent is skewed toward 0.
  const intent = rnd() ** 2;
  const from = now - days * DAY_MS;
  const sessions = between(rnd, 2, 4 + Math.round(intent * 10));
  const events: SampleEvent[] = [];
  for (let s = 0; s < sessions; s++) events.push(...webSession(rnd, lead, from + Math.floor(rnd() * (days - 1) * DAY_MS), intent));
  events.push(...campaignTouches(rnd, lead, from, (days - 12) * DAY_MS, intent));
  return events.filter((e) => e.at.getTime() < now);
}

export function generateSampleData(now: Date, options: { seed?: number; leadsPerAccount?: number; days?: number } = {}): SampleDataset {
  const rnd = prng(options.seed ?? 20_261_201);
  const accounts = makeAccounts();
  const leads = makeLeads(rnd, accounts, options.leadsPerAccount ?? 10);
  const days = options.days ?? 90;
  const events = leads.flatMap((lead) => leadEvents(rnd, lead, now.getTime(), days));
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { accounts, deals: makeDeals(rnd, accounts), leads, events };
}
