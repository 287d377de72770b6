import { beforeAll, describe, expect, it } from 'vitest';
import { contactsSchema } from '../../src/modules/analytics/sessions/sessions.schemas.js';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { ingestAll, journeysDataset, webEvent, X } from '../helpers/sessions-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const JULY = { start_date: '2025-07-01', end_date: '2025-07-31' };
const NONE = { message: 'No contacts found for the given parameters.' };
const daysSince = (at: string) => Math.floor((Date.now() - Date.parse(at)) / 86_400_000);

let s: Session;
function contacts(body: unknown, session: Session = s) {
  return ctx.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: session.headers, payload: body as object });
}
async function page(body: unknown, session: Session = s) {
  const res = await contacts(body, session);
  expect(res.statusCode, res.body).toBe(200);
  return contactsSchema.parse(res.json());
}

const session = (at: string, source: string, medium: string, landing: string, duration: number, extra: Record<string, unknown> = {}) => ({
  timestamp: at,
  source,
  medium,
  content: null,
  campaign: null,
  term: null,
  landing_page: `${X}${landing}`,
  session_duration: duration,
  ...extra,
});
const conversion = (email: string, at: string, pageUrl: string, prev: string, type: string, id: string) => ({
  conversion: { email, timestamp: at, conversion_page: `${X}${pageUrl}`, previous_page: `${X}${prev}`, conversion_meta: { type, id } },
});
const exit = (pageUrl: string, prev: string, at: string) => ({ exit: { exit_page: `${X}${pageUrl}`, previous_page: `${X}${prev}`, timestamp: at } });

const A = [
  session('2025-07-01 10:00:00', 'google.com', 'organic', '/landing', 660, exit('/done', '/pricing', '2025-07-01 10:11:00')),
  session('2025-07-04 13:00:00', 'newsletter', 'email', '/landing', 540, {
    content: 'banner2',
    campaign: 'july',
    term: 'shoes',
    ...conversion('alice@example.com', '2025-07-04 13:09:00', '/order-confirmed', '/checkout', 'hubspot_form', 'F1'),
  }),
  session('2025-07-05 14:00:00', '(direct)', 'direct', '/home', 960, exit('/done', '/home', '2025-07-05 14:16:00')),
];
const alice = {
  email: 'alice@example.com',
  summary: {
    total_sessions: 3,
    total_conversions: 1,
    conversion_rate_percent: 33.33,
    conversion_dates: ['2025-07-04 13:09:00'],
    days_since_last_conversion: daysSince('2025-07-04T13:09:00Z'),
    is_repeat_converter: false,
    avg_days_between_conversions: null,
    avg_days_between_sessions: 2.08, // (07-05 14:00 − 07-01 10:00) / 2 = 50 h
    avg_session_duration_seconds: 720,
    days_to_convert: 3,
    user_journey: A,
    interested_pages: {
      landing_pages: { [`${X}/landing`]: 2, [`${X}/home`]: 1 },
      conversion_pages: { [`${X}/order-confirmed`]: 1 },
      exit_pages: { [`${X}/done`]: 2 },
      previous_conversion_pages: { [`${X}/checkout`]: 1 },
      previous_exit_pages: { [`${X}/home`]: 1, [`${X}/pricing`]: 1 },
    },
    first_touch: A[0],
    converting_touch: A[1],
    recent_touch: A[2],
  },
};
const B = [
  session('2025-07-02 09:00:00', 'news.ycombinator.com', 'referral', '/landing', 0),
  session('2025-07-02 09:45:00', 'google', 'cpc', '/home', 0),
  session('2025-07-02 11:00:00', '(direct)', 'direct', '/home', 300, conversion('bob@example.com', '2025-07-02 11:05:00', '/signup', '/home', 'custom', 'signup')),
];
const bob = {
  email: 'bob@example.com',
  summary: {
    total_sessions: 3,
    total_conversions: 1,
    conversion_rate_percent: 33.33,
    conversion_dates: ['2025-07-02 11:05:00'],
    days_since_last_conversion: daysSince('2025-07-02T11:05:00Z'),
    is_repeat_converter: false,
    avg_days_between_conversions: null,
    avg_days_between_sessions: 0.04, // 2 h / 2
    avg_session_duration_seconds: 100,
    days_to_convert: 0,
    user_journey: B,
    interested_pages: {
      landing_pages: { [`${X}/home`]: 2, [`${X}/landing`]: 1 },
      conversion_pages: { [`${X}/signup`]: 1 },
      exit_pages: {},
      previous_conversion_pages: { [`${X}/home`]: 1 },
      previous_exit_pages: {},
    },
    first_touch: B[0],
    converting_touch: B[2],
    recent_touch: B[2],
  },
};
const E = [
  session('2025-07-10 12:00:00', 'newsletter', 'email', '/landing', 120, conversion('erin@example.com', '2025-07-10 12:02:00', '/cta', '/landing', 'custom', 'CTA9')),
  session('2025-07-20 12:00:00', 'google.com', 'organic', '/landing', 600, conversion('erin@example.com', '2025-07-20 12:10:00', '/buy', '/landing', 'stripe', 'purchase')),
];
const erin = {
  email: 'erin@example.com',
  summary: {
    total_sessions: 2,
    total_conversions: 2,
    conversion_rate_percent: 100,
    conversion_dates: ['2025-07-10 12:02:00', '2025-07-20 12:10:00'],
    days_since_last_conversion: daysSince('2025-07-20T12:10:00Z'),
    is_repeat_converter: true,
    avg_days_between_conversions: 10.01, // 10 days 8 minutes
    avg_days_between_sessions: 10,
    avg_session_duration_seconds: 360,
    days_to_convert: 0,
    user_journey: E,
    interested_pages: {
      landing_pages: { [`${X}/landing`]: 2 },
      conversion_pages: { [`${X}/buy`]: 1, [`${X}/cta`]: 1 },
      exit_pages: {},
      previous_conversion_pages: { [`${X}/landing`]: 2 },
      previous_exit_pages: {},
    },
    first_touch: E[0],
    converting_touch: E[0],
    recent_touch: E[1],
  },
};

beforeAll(async () => {
  s = await signup(ctx.app);
  await ingestAll(ctx.app, s, journeysDataset());
});

describe('POST /api/v1/contacts with filters', () => {
  it('returns every converted contact of July with its whole journey, every field computed by hand', async () => {
    const res = await contacts(JULY);
    expect(res.statusCode, res.body).toBe(200);
    // Qualifying sessions: A1 B1 B2 B3 C1 A2 A3 E1 E2 = 9; Carol never converted.
    expect(res.json()).toEqual({ contacts: [alice, bob, erin], pagination: { records_processed: 9, total_records: 9, has_more: false } });
  });

  it('selects by the filters but summarises the whole journey (first touch from google.com)', async () => {
    const body = await page({ source: 'google.com', touch_scope: 'first' }); // no window: all time; A1 and D1
    expect(body.contacts.map((c) => c.email)).toEqual(['dave@example.com', 'alice@example.com']);
    expect(body.pagination).toEqual({ records_processed: 2, total_records: 2, has_more: false });
    expect(body.contacts[1]).toEqual(alice);
    const dave = body.contacts[0]!.summary;
    expect([dave.total_sessions, dave.total_conversions, dave.days_to_convert, dave.avg_days_between_sessions]).toEqual([2, 1, 0, 51]);
  });

  it('filters on the conversion and the touch scope', async () => {
    expect((await page({ ...JULY, meta_type: 'custom' })).contacts.map((c) => c.email)).toEqual(['bob@example.com', 'erin@example.com']);
    expect((await page({ ...JULY, touch_scope: 'assist' })).contacts.map((c) => c.email)).toEqual(['bob@example.com']);
    const after = await page({ ...JULY, touch_scope: 'after' }); // A3, E2
    expect(after.contacts.map((c) => c.email)).toEqual(['alice@example.com', 'erin@example.com']);
    expect(after.pagination).toEqual({ records_processed: 2, total_records: 2, has_more: false });
    // Carol's session qualifies (counted in total_records) but she never converted: no contact.
    expect((await contacts({ ...JULY, campaign: 'july', medium: 'cpc' })).json()).toEqual(NONE);
  });

  it('answers the no-contacts message for an empty window and another tenant', async () => {
    expect((await contacts({ start_date: '2024-01-01', end_date: '2024-12-31' })).json()).toEqual(NONE);
    expect((await contacts(JULY, await signup(ctx.app))).json()).toEqual(NONE);
    expect((await contacts({ ...JULY, offset: 9 })).json()).toEqual(NONE);
  });
});

describe('POST /api/v1/contacts with emails', () => {
  it('walks the submitted list, ignores every other filter and includes leads that never converted', async () => {
    const body = await page({ emails: ' ALICE@example.com,nobody@example.com, carol@example.com', source: 'nowhere' });
    expect(body.pagination).toEqual({ records_processed: 3, total_records: 3, has_more: false });
    expect(body.contacts[0]).toEqual(alice);
    const carol = body.contacts[1]!;
    expect(carol.email).toBe('carol@example.com');
    expect(carol.summary).toMatchObject({
      total_sessions: 1,
      total_conversions: 0,
      conversion_rate_percent: 0,
      conversion_dates: [],
      days_since_last_conversion: null,
      is_repeat_converter: false,
      avg_days_between_sessions: null,
      avg_session_duration_seconds: 2400,
      days_to_convert: null,
      converting_touch: null,
    });
    expect(carol.summary.first_touch).toEqual(
      session('2025-07-03 08:00:00', 'google', 'cpc', '/landing', 2400, { campaign: 'july', ...exit('/exit', '/pricing', '2025-07-03 08:40:00') }),
    );
  });

  it('pages through the list from offset, as an array too', async () => {
    const body = await page({ emails: ['nobody@example.com', 'bob@example.com', 'erin@example.com'], offset: 1 });
    expect(body).toEqual({ contacts: [bob, erin], pagination: { records_processed: 3, total_records: 3, has_more: false } });
    expect((await contacts({ emails: ['nobody@example.com'] })).json()).toEqual(NONE);
    expect((await contacts({ emails: ['alice@example.com'] }, await signup(ctx.app))).json()).toEqual(NONE); // another tenant
    expect((await contacts({ emails: 'bob@example.com', offset: 1 })).json()).toEqual(NONE);
  });

  it('returns 50 emails a page', async () => {
    const emails = [...Array.from({ length: 50 }, (_, i) => `none-${i}@example.com`), 'bob@example.com'];
    expect((await contacts({ emails })).json()).toEqual(NONE);
    expect(await page({ emails, offset: 50 })).toEqual({ contacts: [bob], pagination: { records_processed: 51, total_records: 51, has_more: false } });
  });
});

describe('POST /api/v1/contacts pagination by records_processed', () => {
  it('collects 50 contacts a page, counting the sessions scanned', async () => {
    const t = await signup(ctx.app);
    const at = (day: number, minute: number) => `2025-07-0${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00Z`;
    const events = [
      // Ten visitors who never convert come first in session order (rn 1..10) …
      ...Array.from({ length: 10 }, (_, i) => webEvent(`visitor-${i}@example.com`, at(1, i), 'page_view', { url: `${X}/v` })),
      // … then 53 converting leads (rn 11..63), and lead 0 visits again later (rn 64), counted once.
      ...Array.from({ length: 53 }, (_, i) => webEvent(`buyer-${String(i).padStart(2, '0')}@example.com`, at(2, i * 2), 'signup', { url: `${X}/s` })),
      webEvent('buyer-00@example.com', at(3, 0), 'page_view', { url: `${X}/again` }),
    ];
    await ingestAll(ctx.app, t, events);
    const first = await page(JULY, t);
    expect(first.contacts).toHaveLength(50);
    expect(first.contacts[0]!.email).toBe('buyer-00@example.com');
    expect(first.contacts[49]!.email).toBe('buyer-49@example.com');
    expect(first.pagination).toEqual({ records_processed: 60, total_records: 64, has_more: true });
    const second = await page({ ...JULY, offset: 60 }, t);
    expect(second.contacts.map((c) => c.email)).toEqual(['buyer-50@example.com', 'buyer-51@example.com', 'buyer-52@example.com']);
    expect(second.pagination).toEqual({ records_processed: 64, total_records: 64, has_more: false });
    expect((await contacts({ ...JULY, offset: 64 }, t)).json()).toEqual(NONE);
  });
});

describe('POST /api/v1/contacts validation', () => {
  it('refuses garbage with 400 and the error envelope', async () => {
    for (const bad of [
      { offset: -1 },
      { offset: 1.5 },
      { offset: 'ten' },
      { emails: [] },
      { emails: ' , ' },
      { emails: 5 },
      { emails: [1] },
      { start_date: '07/01/2025' },
      { touch_scope: 'last' },
      { meta_id: '' },
    ]) {
      const body = expectError(await contacts(bad), 400, 'validation_failed');
      expect(body.details?.length, JSON.stringify(bad)).toBeGreaterThan(0);
    }
    expectError(await ctx.app.inject({ method: 'POST', url: '/api/v1/contacts', payload: {} }), 401);
  });
});
