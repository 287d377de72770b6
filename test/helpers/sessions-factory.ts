import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Session } from './factories.js';

/** One web event of a lead known by email, at an explicit time, as POST /events/batch takes it. */
export function webEvent(email: string, at: string, type: string, metadata: Record<string, unknown> = {}) {
  return { aliases: [{ alias_kind: 'email', raw_value: email }], event_type: type, timestamp: at, metadata };
}

/** Ingests events through POST /events/batch (1000 a request) and checks every item was accepted. */
export async function ingestAll(app: FastifyInstance, s: Session, events: unknown[]) {
  for (let i = 0; i < events.length; i += 1000) {
    const chunk = events.slice(i, i + 1000);
    const res = await app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload: { events: chunk } });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().accepted, res.body).toBe(chunk.length);
  }
}

export const X = 'https://ex.com';
const GOOGLE = 'https://www.google.com/search?q=shoes';

/**
 * The journeys every expected number below is computed from (default 30-minute timeout):
 * A: S1 07-01 10:00 organic/google.com, exit /done after /pricing, 660 s
 *    S2 07-04 13:00 email/newsletter (utm july/banner2/shoes), form_submit 13:09 (hubspot_form F1) after /checkout, 540 s
 *    S3 07-05 14:00 direct/(direct), exit /done after /home, 960 s
 * B: S1 07-02 09:00 referral/news.ycombinator.com, one event (bounce, 0 s, no exit)
 *    S2 07-02 09:45 cpc/google, bounce (45 min gap > 30)            S3 07-02 11:00 direct, signup 11:05 after /home, 300 s
 * C: S1 07-03 08:00 cpc/google campaign july, 08:30 (gap of exactly 30 min: same session), exit /exit after /pricing at 08:40, 2400 s
 * D: June and August only. E: S1 07-10 12:00 email/newsletter, cta_click conversion=true 12:02 (CTA9), 120 s;
 *    S2 07-20 12:00 organic/google.com, purchase 12:10 on /buy, 600 s.
 */
export function journeysDataset() {
  const a = 'alice@example.com';
  const b = 'bob@example.com';
  const c = 'carol@example.com';
  const d = 'dave@example.com';
  const e = 'erin@example.com';
  const utm = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'july', utm_content: 'banner2', utm_term: 'shoes' };
  return [
    webEvent(a, '2025-07-01T10:00:00Z', 'page_view', { url: `${X}/landing`, referrer: GOOGLE }),
    webEvent(a, '2025-07-01T10:05:00Z', 'page_view', { url: `${X}/pricing` }),
    webEvent(a, '2025-07-01T10:11:00Z', 'page_view', { url: `${X}/done` }),
    webEvent(a, '2025-07-03T10:00:00Z', 'email_open', { url: `${X}/ignored` }),
    webEvent(a, '2025-07-04T13:00:00Z', 'page_view', { url: `${X}/landing`, ...utm }),
    webEvent(a, '2025-07-04T13:05:00Z', 'page_view', { page_url: `${X}/checkout` }),
    webEvent(a, '2025-07-04T13:09:00Z', 'form_submit', { url: `${X}/order-confirmed`, conversion_type: 'hubspot_form', conversion_id: 'F1' }),
    webEvent(a, '2025-07-04T13:20:00Z', 'page_view', { url: `${X}/thanks` }),
    webEvent(a, '2025-07-05T14:00:00Z', 'page_view', { url: `${X}/home` }),
    webEvent(a, '2025-07-05T14:16:00Z', 'page_view', { url: `${X}/done` }),
    webEvent(b, '2025-07-02T09:00:00Z', 'page_view', { url: `${X}/landing`, referrer: 'https://news.ycombinator.com/item?id=1' }),
    webEvent(b, '2025-07-02T09:45:00Z', 'page_view', { url: `${X}/home`, utm_source: 'google', utm_medium: 'cpc' }),
    webEvent(b, '2025-07-02T11:00:00Z', 'page_view', { url: `${X}/home` }),
    webEvent(b, '2025-07-02T11:05:00Z', 'signup', { url: `${X}/signup` }),
    webEvent(c, '2025-07-03T08:00:00Z', 'page_view', { url: `${X}/landing`, utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'july' }),
    webEvent(c, '2025-07-03T08:30:00Z', 'page_view', { url: `${X}/pricing` }),
    webEvent(c, '2025-07-03T08:40:00Z', 'page_view', { url: `${X}/exit` }),
    webEvent(d, '2025-06-20T10:00:00Z', 'page_view', { url: `${X}/landing`, referrer: GOOGLE }),
    webEvent(d, '2025-06-20T10:10:00Z', 'purchase', { url: `${X}/buy` }),
    webEvent(d, '2025-08-10T10:00:00Z', 'page_view', { url: `${X}/landing` }),
    webEvent(e, '2025-07-10T12:00:00Z', 'page_view', { url: `${X}/landing`, utm_source: 'newsletter', utm_medium: 'email' }),
    webEvent(e, '2025-07-10T12:02:00Z', 'cta_click', { url: `${X}/cta`, conversion: true, conversion_id: 'CTA9' }),
    webEvent(e, '2025-07-20T12:00:00Z', 'page_view', { url: `${X}/landing`, referrer: GOOGLE }),
    webEvent(e, '2025-07-20T12:10:00Z', 'purchase', { url: `${X}/buy`, conversion_type: 'stripe' }),
  ];
}

