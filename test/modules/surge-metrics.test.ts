import { beforeAll, describe, expect, it } from 'vitest';
import { surgeMetricsSchema } from '../../src/modules/analytics/surge/surge.schemas.js';
import { setupTestApp } from '../helpers/app.js';
import { addMember, createCredential, expectError, signup, type Session } from '../helpers/factories.js';
import { ingestAll, webEvent } from '../helpers/sessions-factory.js';

const ctx = setupTestApp();
const WINDOW = 'start=2025-07-01T10:00:00Z&end=2025-07-01T12:00:00Z';

let s: Session;
function surge(query: string, session: Session = s, unitId = s.unitId) {
  return ctx.app.inject({ method: 'GET', url: `/org-units/${unitId}/surge-metrics?${query}`, headers: session.headers });
}
async function metrics(query: string) {
  const res = await surge(query);
  expect(res.statusCode, res.body).toBe(200);
  return surgeMetricsSchema.parse(res.json());
}
const act = (events: number, surged: number, points: number, surgePoints: number) => ({ events, surged_events: surged, points, surge_points: surgePoints });

/**
 * Standard surge policy, page_view worth 10, email_open 5. L1's five page views 10:00–10:20 are one
 * session: ×1, ×1, ×1.25 (13), ×1.25 (13), ×1.5 (15) → points 61, boosts 0+0+3+3+5 = 11, scores 10…61.
 * L2 opens an email at 11:30 (5 points). L3's views at 09:59:59 and 12:00 fall outside [10:00, 12:00).
 */
beforeAll(async () => {
  s = await signup(ctx.app);
  for (const [event_type, weight] of [['page_view', 10], ['email_open', 5]] as const) {
    const res = await ctx.app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: { event_type, weight } });
    expect(res.statusCode, res.body).toBe(201);
  }
  const l1 = ['10:00', '10:01', '10:02', '10:03', '10:20'].map((t) => webEvent('l1@example.com', `2025-07-01T${t}:00Z`, 'page_view'));
  await ingestAll(ctx.app, s, [
    ...l1,
    webEvent('l2@example.com', '2025-07-01T11:30:00Z', 'email_open'),
    webEvent('l3@example.com', '2025-07-01T09:59:59Z', 'page_view'),
    webEvent('l3@example.com', '2025-07-01T12:00:00Z', 'page_view'),
  ]);
  await ctx.app.scoringWorker.drain();
});

describe('GET /org-units/{ouId}/surge-metrics', () => {
  it('answers totals, peak, scores, channels and an hourly series computed by hand', async () => {
    expect(await metrics(WINDOW)).toEqual({
      ou_id: s.unitId,
      start: '2025-07-01T10:00:00.000Z',
      end: '2025-07-01T12:00:00.000Z',
      interval: '1h',
      channel: null,
      totals: { ...act(6, 3, 66, 11), leads: 2, surged_leads: 1, avg_multiplier: 1.167 },
      peak: { bucket_start: '2025-07-01T10:00:00.000Z', ...act(5, 3, 61, 11) },
      min_score: 5,
      max_score: 61,
      channels: [{ channel: 'web', ...act(5, 3, 61, 11) }, { channel: 'email', ...act(1, 0, 5, 0) }],
      series: [
        { bucket_start: '2025-07-01T10:00:00.000Z', ...act(5, 3, 61, 11) },
        { bucket_start: '2025-07-01T11:00:00.000Z', ...act(1, 0, 5, 0) },
      ],
    });
  });

  it('buckets per 15 minutes (empty buckets included) and per day', async () => {
    const quarter = await metrics(`${WINDOW}&interval=15m`);
    expect(quarter.series.map((b) => [b.bucket_start.slice(11, 16), b.events, b.surged_events, b.points, b.surge_points])).toEqual([
      ['10:00', 4, 2, 46, 6],
      ['10:15', 1, 1, 15, 5],
      ['10:30', 0, 0, 0, 0],
      ['10:45', 0, 0, 0, 0],
      ['11:00', 0, 0, 0, 0],
      ['11:15', 0, 0, 0, 0],
      ['11:30', 1, 0, 5, 0],
      ['11:45', 0, 0, 0, 0],
    ]);
    expect(quarter.peak).toEqual({ bucket_start: '2025-07-01T10:00:00.000Z', ...act(4, 2, 46, 6) });
    const day = await metrics(`${WINDOW}&interval=1d`);
    expect(day.series).toEqual([{ bucket_start: '2025-07-01T00:00:00.000Z', ...act(6, 3, 66, 11) }]);
  });

  it('filters by channel', async () => {
    const email = await metrics(`${WINDOW}&channel=email`);
    expect(email).toMatchObject({
      channel: 'email',
      totals: { ...act(1, 0, 5, 0), leads: 1, surged_leads: 0, avg_multiplier: 1 },
      peak: { bucket_start: '2025-07-01T11:00:00.000Z', ...act(1, 0, 5, 0) },
      min_score: 5,
      max_score: 5,
      channels: [{ channel: 'email', ...act(1, 0, 5, 0) }],
    });
    expect((await metrics(`${WINDOW}&channel=slack`)).totals.events).toBe(0);
  });

  it('answers zeros and nulls for an empty window', async () => {
    const empty = await metrics('start=2025-07-01T10:00:00Z&end=2025-07-01T10:00:00Z');
    expect(empty).toMatchObject({
      totals: { ...act(0, 0, 0, 0), leads: 0, surged_leads: 0, avg_multiplier: null },
      peak: { bucket_start: null, ...act(0, 0, 0, 0) },
      min_score: null,
      max_score: null,
      channels: [],
      series: [],
    });
    const quiet = await metrics('start=2025-08-01T00:00:00%2B02:00&end=2025-08-01T03:00:00%2B02:00');
    expect([quiet.start, quiet.series.length, quiet.peak.bucket_start]).toEqual(['2025-07-31T22:00:00.000Z', 3, null]);
  });

  it('refuses garbage with 400 and the error envelope', async () => {
    for (const query of [
      'end=2025-07-01T12:00:00Z',
      'start=2025-07-01T10:00:00Z',
      'start=2025-07-01&end=2025-07-02',
      'start=soon&end=2025-07-01T12:00:00Z',
      `${WINDOW}&interval=5m`,
      `${WINDOW}&channel=fax`,
      'start=2025-07-02T00:00:00Z&end=2025-07-01T00:00:00Z',
      'start=2025-07-01T00:00:00Z&end=2025-07-31T00:00:00Z&interval=15m',
    ]) {
      const body = expectError(await surge(query), 400, 'validation_failed');
      expect(body.details?.length, query).toBeGreaterThan(0);
    }
    expectError(await surge(WINDOW, s, 'not-a-uuid'), 400, 'validation_failed');
  });

  it('answers only members of the OU: 403 for other members of the organization, 404 elsewhere', async () => {
    const member = await addMember(ctx.app, s);
    expectError(await surge(WINDOW, member), 403, 'forbidden');
    const other = await signup(ctx.app);
    expectError(await surge(WINDOW, other), 404, 'not_found');
    expectError(await surge(WINDOW, s, '00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expect((await surge(WINDOW, other, other.unitId)).json().totals.events).toBe(0);
    const cred = await createCredential(ctx.app, s);
    const viaBasic = await ctx.app.inject({ method: 'GET', url: `/org-units/${s.unitId}/surge-metrics?${WINDOW}`, headers: cred.headers });
    expect([401, 403]).toContain(viaBasic.statusCode);
    expectError(await ctx.app.inject({ method: 'GET', url: `/org-units/${s.unitId}/surge-metrics?${WINDOW}` }), 401);
  });
});
