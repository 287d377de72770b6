import { beforeAll, describe, expect, it } from 'vitest';
import { insightsSchema } from '../../src/modules/analytics/sessions/sessions.schemas.js';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { ingestAll, journeysDataset, webEvent, X } from '../helpers/sessions-factory.js';

// Sessions do not depend on scores: the worker stays off so nothing changes under the reads.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const JULY = { start_date: '2025-07-01', end_date: '2025-07-31' };

const channel = (
  name: string,
  n: [number, number, number, number, number, number, number],
  rates: [string, string, string],
) => ({
  channel: name,
  total_sessions: n[0],
  total_users: n[1],
  converting_users_first_touch: n[2],
  converting_users_assisting_touch: n[3],
  converting_users_converting_touch: n[4],
  converting_users_after_touch: n[5],
  session_influence: rates[0],
  conversion_influence: rates[1],
  attributed_to_conversion: n[6],
  conversion_rate: rates[2],
});

let s: Session;
function insights(body: unknown, session: Session = s) {
  return ctx.app.inject({ method: 'POST', url: '/api/v1/insights', headers: session.headers, payload: body as object });
}
async function metrics(body: unknown) {
  const res = await insights(body);
  expect(res.statusCode, res.body).toBe(200);
  return insightsSchema.parse(res.json()).overall_metrics;
}
const users = async (body: unknown) => (await metrics(body)).user_summary.total_users;

beforeAll(async () => {
  s = await signup(ctx.app);
  await ingestAll(ctx.app, s, journeysDataset());
});

describe('POST /api/v1/insights', () => {
  it('answers every field of the seed for July, computed by hand', async () => {
    const res = await insights(JULY);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      overall_metrics: {
        user_summary: { total_users: 4, total_converted_users: 3, conversion_rate: '75.00%', avg_sessions_per_user: 2.25, avg_sessions_per_converted_user: 2.67 },
        session_summary: {
          total_sessions: 9,
          total_converting_sessions: 4,
          total_drop_off_sessions: 3,
          avg_session_duration_seconds: 620,
          avg_converting_session_duration: 390,
          avg_drop_off_session_duration: 1340,
          median_converting_session_duration: 420,
          median_drop_off_session_duration: 960,
        },
        conversion_summary: {
          avg_time_to_convert: 92720,
          median_time_to_convert: 7500,
          conversion_timeline_bins: {
            counts: { '0-1 days': 2, '1-3 days': 0, '3-7 days': 1, '7+ days': 0 },
            percentages: { '0-1 days': 66.67, '1-3 days': 0, '3-7 days': 33.33, '7+ days': 0 },
          },
        },
        channels: [
          channel('cpc/google', [2, 2, 0, 1, 0, 0, 1], ['22.22%', '33.33%', '50.00%']),
          channel('direct/(direct)', [2, 2, 0, 0, 1, 1, 1], ['22.22%', '33.33%', '50.00%']),
          channel('email/newsletter', [2, 2, 1, 0, 2, 0, 2], ['22.22%', '66.67%', '100.00%']),
          channel('organic/google.com', [2, 2, 1, 0, 0, 1, 1], ['22.22%', '33.33%', '50.00%']),
          channel('referral/news.ycombinator.com', [1, 1, 1, 0, 0, 0, 1], ['11.11%', '33.33%', '100.00%']),
        ],
      },
    });
  });

  it('keeps the users of a matching session and analyses their whole journeys (source=google.com)', async () => {
    const m = await metrics({ ...JULY, source: 'google.com' });
    // Matching sessions: A1 (660 s, exit) and E2 (600 s, converting); cohort A and E, 5 journey sessions.
    expect(m.user_summary).toEqual({ total_users: 2, total_converted_users: 2, conversion_rate: '100.00%', avg_sessions_per_user: 2.5, avg_sessions_per_converted_user: 2.5 });
    expect(m.session_summary).toEqual({
      total_sessions: 2,
      total_converting_sessions: 1,
      total_drop_off_sessions: 1,
      avg_session_duration_seconds: 630,
      avg_converting_session_duration: 600,
      avg_drop_off_session_duration: 660,
      median_converting_session_duration: 600,
      median_drop_off_session_duration: 660,
    });
    // Time to convert: A 270540 s, E 120 s — an even count, so the median is their mean.
    expect(m.conversion_summary).toEqual({
      avg_time_to_convert: 135330,
      median_time_to_convert: 135330,
      conversion_timeline_bins: {
        counts: { '0-1 days': 1, '1-3 days': 0, '3-7 days': 1, '7+ days': 0 },
        percentages: { '0-1 days': 50, '1-3 days': 0, '3-7 days': 50, '7+ days': 0 },
      },
    });
    expect(m.channels).toEqual([
      channel('email/newsletter', [2, 2, 1, 0, 2, 0, 2], ['40.00%', '100.00%', '100.00%']),
      channel('organic/google.com', [2, 2, 1, 0, 0, 1, 1], ['40.00%', '50.00%', '50.00%']),
      channel('direct/(direct)', [1, 1, 0, 0, 0, 1, 0], ['20.00%', '0.00%', '0.00%']),
    ]);
  });

  it('matches strictly: case, exact values, every filter at once', async () => {
    expect((await insights({ ...JULY, source: 'Google.com' })).json()).toEqual({ message: 'No page data found for the given parameters.' });
    expect(await users({ ...JULY, source: 'google', medium: 'cpc' })).toBe(2); // B2, C1
    expect(await users({ ...JULY, source: 'google', medium: 'cpc', campaign: 'july' })).toBe(1); // C1 only
    expect(await users({ ...JULY, campaign: 'july' })).toBe(2); // A2, C1
    expect(await users({ ...JULY, content: 'banner2', term: 'shoes' })).toBe(1);
    expect(await users({ ...JULY, medium: 'referral', source: 'news.ycombinator.com' })).toBe(1);
    const home = await metrics({ ...JULY, landing_page: `${X}/home` }); // A3, B2, B3
    expect([home.user_summary.total_users, home.session_summary.total_sessions]).toEqual([2, 3]);
  });

  it('filters on the conversion: page, meta type and meta id (type defaults to custom, id to the event type)', async () => {
    const f1 = await metrics({ ...JULY, meta_type: 'hubspot_form', meta_id: 'F1' });
    expect([f1.user_summary.total_users, f1.session_summary.total_sessions, f1.session_summary.total_converting_sessions]).toEqual([1, 1, 1]);
    expect(await users({ ...JULY, meta_id: 'signup' })).toBe(1); // B3
    expect(await users({ ...JULY, meta_type: 'custom' })).toBe(2); // B3 (signup), E1 (CTA9)
    expect(await users({ ...JULY, conversion_page: `${X}/buy`, meta_type: 'stripe' })).toBe(1); // E2
    expect((await insights({ ...JULY, meta_type: 'hubspot_form', meta_id: 'CTA9' })).json()).toEqual({ message: 'No page data found for the given parameters.' });
  });

  it('filters by touch scope: first, converting, assist, after', async () => {
    const first = await metrics({ ...JULY, source: 'google.com', touch_scope: 'first' }); // A1 only
    expect([first.user_summary.total_users, first.session_summary.total_sessions]).toEqual([1, 1]);
    const converting = await metrics({ ...JULY, medium: 'email', touch_scope: 'converting' }); // A2, E1
    expect([converting.user_summary.total_users, converting.session_summary.total_converting_sessions]).toEqual([2, 2]);
    const assist = await metrics({ ...JULY, touch_scope: 'assist' }); // B2 only
    expect([assist.user_summary.total_users, assist.session_summary.total_sessions, assist.session_summary.total_drop_off_sessions]).toEqual([1, 1, 0]);
    const after = await metrics({ ...JULY, touch_scope: 'after' }); // A3, E2
    expect([after.user_summary.total_users, after.session_summary.total_sessions]).toEqual([2, 2]);
    expect(await users({ ...JULY, touch_scope: 'first', medium: 'email' })).toBe(1); // E1 (A2 is not first)
  });

  it('bounds the window by session start; a bare end_date is the whole day', async () => {
    expect(await users({ start_date: '2025-07-04', end_date: '2025-07-04' })).toBe(1); // A2 at 13:00
    expect((await insights({ start_date: '2025-07-04T13:00:01Z', end_date: '2025-07-05T13:59:59+00:00' })).json()).toEqual({
      message: 'No page data found for the given parameters.',
    });
    const june = await metrics({ start_date: '2025-06-01', end_date: '2025-06-30' }); // D: one converting session of 600 s
    expect(june.user_summary).toEqual({ total_users: 1, total_converted_users: 1, conversion_rate: '100.00%', avg_sessions_per_user: 2, avg_sessions_per_converted_user: 2 });
    expect(june.conversion_summary.avg_time_to_convert).toBe(600);
    expect(june.session_summary.median_drop_off_session_duration).toBeNull();
  });

  it('answers the no-data message for an empty window, the default window and another tenant', async () => {
    const none = { message: 'No page data found for the given parameters.' };
    expect((await insights({ start_date: '2024-01-01', end_date: '2024-12-31' })).json()).toEqual(none);
    expect((await insights({})).json()).toEqual(none); // the last 30 days hold nothing
    const noBody = await ctx.app.inject({ method: 'POST', url: '/api/v1/insights', headers: s.headers });
    expect([noBody.statusCode, noBody.json()]).toEqual([200, none]);
    expect((await insights(JULY, await signup(ctx.app))).json()).toEqual(none);
  });

  it('refuses garbage filters with 400 and the error envelope', async () => {
    for (const bad of [
      { start_date: 'yesterday' },
      { start_date: '2025-13-01' },
      { end_date: '2025-02-30' },
      { start_date: '2025-07-01T10:00:00' },
      { start_date: '2025-07-31', end_date: '2025-07-01' },
      { touch_scope: 'bogus' },
      { source: '' },
      { medium: 5 },
      { landing_page: 'x'.repeat(2049) },
    ]) {
      const body = expectError(await insights(bad), 400, 'validation_failed');
      expect(body.details?.length, JSON.stringify(bad)).toBeGreaterThan(0);
    }
    expectError(await ctx.app.inject({ method: 'POST', url: '/api/v1/insights', payload: JULY }), 401);
  });
});

describe('sessions follow the OU session timeout', () => {
  it('splits on a gap longer than session_timeout_minutes and merges once it is raised', async () => {
    const t = await signup(ctx.app);
    await ingestAll(ctx.app, t, [
      webEvent('g@example.com', '2025-07-01T10:00:00Z', 'page_view', { url: `${X}/a` }),
      webEvent('g@example.com', '2025-07-01T10:45:00Z', 'page_view', { url: `${X}/b` }),
    ]);
    const before = await insights(JULY, t);
    expect(before.json().overall_metrics.session_summary).toMatchObject({ total_sessions: 2, total_drop_off_sessions: 0, avg_session_duration_seconds: 0 });
    const put = await ctx.app.inject({ method: 'PUT', url: `/org-units/${t.unitId}`, headers: t.headers, payload: { name: 'Default', session_timeout_minutes: 45 } });
    expect(put.statusCode, put.body).toBe(200);
    const after = await insights(JULY, t);
    expect(after.json().overall_metrics.session_summary).toMatchObject({ total_sessions: 1, total_drop_off_sessions: 1, avg_session_duration_seconds: 2700 });
  });
});

describe('normalized pairs', () => {
  it('counts only the canonical row of a normalized pair, as a conversion when its type is one', async () => {
    const t = await signup(ctx.app);
    for (const [type, canonical] of [['demo_req', 'demo_request'], ['visit', 'page_view']]) {
      const put = await ctx.app.inject({ method: 'PUT', url: `/settings/event-types/${type}`, headers: t.headers, payload: { canonical_type: canonical } });
      expect(put.statusCode, put.body).toBe(200);
    }
    await ingestAll(ctx.app, t, [
      webEvent('n1@example.com', '2025-07-01T10:00:00Z', 'demo_req', { url: `${X}/demo` }),
      webEvent('n2@example.com', '2025-07-01T11:00:00Z', 'visit', { url: `${X}/home` }),
    ]);
    // Two one-event sessions: the canonical demo_request converts; the visit is a bounce, not a drop-off with its raw twin.
    const body = (await insights(JULY, t)).json();
    expect(body.overall_metrics.session_summary).toMatchObject({ total_sessions: 2, total_converting_sessions: 1, total_drop_off_sessions: 0 });
    expect(body.overall_metrics.user_summary.total_converted_users).toBe(1);
  });
});
