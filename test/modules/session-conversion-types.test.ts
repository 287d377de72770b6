import { beforeAll, describe, expect, it } from 'vitest';
import { contactsSchema, insightsSchema } from '../../src/modules/analytics/sessions/sessions.schemas.js';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { ingestAll, webEvent, X } from '../helpers/sessions-factory.js';

// Per-OU conversion types (semantics §9, migrations/0066): which event types convert is the OU's
// `conversion_event_types`; `metadata.conversion = true` converts whatever the list.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const JULY = { start_date: '2025-07-01', end_date: '2025-07-31' };

/**
 * Three one-session journeys on 2025-07-01 (30-minute timeout):
 * H: 10:00 page_view, 10:05 trial_start (300 s)   I: 11:00 page_view, 11:10 form_submit (600 s)
 * K: 12:00 cta_click with metadata.conversion = true (one event, 0 s)
 */
const DATASET = [
  webEvent('h@example.com', '2025-07-01T10:00:00Z', 'page_view', { url: `${X}/a` }),
  webEvent('h@example.com', '2025-07-01T10:05:00Z', 'trial_start', { url: `${X}/trial` }),
  webEvent('i@example.com', '2025-07-01T11:00:00Z', 'page_view', { url: `${X}/b` }),
  webEvent('i@example.com', '2025-07-01T11:10:00Z', 'form_submit', { url: `${X}/form` }),
  webEvent('k@example.com', '2025-07-01T12:00:00Z', 'cta_click', { url: `${X}/cta`, conversion: true }),
];

let s: Session;
beforeAll(async () => {
  s = await signup(ctx.app);
  await ingestAll(ctx.app, s, DATASET);
});

async function overall() {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/insights', headers: s.headers, payload: JULY });
  expect(res.statusCode, res.body).toBe(200);
  const m = insightsSchema.parse(res.json()).overall_metrics;
  return { users: m.user_summary, sessions: m.session_summary, ttc: [m.conversion_summary.avg_time_to_convert, m.conversion_summary.median_time_to_convert] };
}
async function converted() {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/contacts', headers: s.headers, payload: JULY });
  expect(res.statusCode, res.body).toBe(200);
  return contactsSchema.parse(res.json()).contacts.map((c) => [c.email, c.summary.total_conversions]);
}
const setTypes = (types: string[]) =>
  ctx.app.inject({ method: 'PUT', url: `/org-units/${s.unitId}`, headers: s.headers, payload: { name: 'Default', conversion_event_types: types } });

describe('conversion types of the OU', () => {
  it('by default form_submit converts, trial_start does not; metadata.conversion converts', async () => {
    expect(await overall()).toEqual({
      users: { total_users: 3, total_converted_users: 2, conversion_rate: '66.67%', avg_sessions_per_user: 1, avg_sessions_per_converted_user: 1 },
      sessions: {
        total_sessions: 3,
        total_converting_sessions: 2, // I (600 s), K (0 s)
        total_drop_off_sessions: 1, // H: two events, no conversion
        avg_session_duration_seconds: 300, // (300 + 600 + 0) / 3
        avg_converting_session_duration: 300,
        avg_drop_off_session_duration: 300,
        median_converting_session_duration: 300,
        median_drop_off_session_duration: 300,
      },
      ttc: [300, 300], // I 600 s, K 0 s
    });
    expect(await converted()).toEqual([['i@example.com', 1], ['k@example.com', 1]]);
  });

  it('follows the OU setting: trial_start instead of form_submit, in insights and contacts', async () => {
    const put = await setTypes(['trial_start']);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().conversion_event_types).toEqual(['trial_start']);
    expect(await overall()).toEqual({
      users: { total_users: 3, total_converted_users: 2, conversion_rate: '66.67%', avg_sessions_per_user: 1, avg_sessions_per_converted_user: 1 },
      sessions: {
        total_sessions: 3,
        total_converting_sessions: 2, // H (300 s), K (0 s)
        total_drop_off_sessions: 1, // I: its form_submit is a page event now
        avg_session_duration_seconds: 300, // (300 + 600 + 0) / 3
        avg_converting_session_duration: 150,
        avg_drop_off_session_duration: 600,
        median_converting_session_duration: 150,
        median_drop_off_session_duration: 600,
      },
      ttc: [150, 150], // H 300 s, K 0 s
    });
    expect(await converted()).toEqual([['h@example.com', 1], ['k@example.com', 1]]);
  });

  it('counts every listed type: both trial_start and form_submit', async () => {
    expect((await setTypes(['trial_start', 'form_submit'])).statusCode).toBe(200);
    const m = await overall();
    expect([m.users.total_converted_users, m.sessions.total_converting_sessions, m.sessions.total_drop_off_sessions]).toEqual([3, 3, 0]);
    expect(m.sessions.avg_converting_session_duration).toBe(300); // (300 + 600 + 0) / 3
    expect(await converted()).toEqual([['h@example.com', 1], ['i@example.com', 1], ['k@example.com', 1]]);
  });

  it('leaves another OU on the defaults', async () => {
    const other = await signup(ctx.app);
    await ingestAll(ctx.app, other, DATASET);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/insights', headers: other.headers, payload: JULY });
    expect(res.json().overall_metrics.session_summary.avg_converting_session_duration).toBe(300); // I and K
  });
});
