import type { Tenant } from '../../../auth/tenant.js';
import type { Db } from '../../../db/database.js';
import { round2, toContact } from './contact-summary.js';
import { createSessionsRepository, type ChannelRow, type InsightsRow, type SessionRow } from './sessions.repository.js';
import type { ContactsBody, Contact, Insights, InsightsBody } from './sessions.schemas.js';
import type { SessionFilters } from './sessions.sql.js';

export const NO_INSIGHTS = { message: 'No page data found for the given parameters.' };
export const NO_CONTACTS = { message: 'No contacts found for the given parameters.' };
/** Contacts per response (seed 004). */
export const CONTACTS_PAGE = 50;
const INSIGHTS_DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;

const pct = (part: number, whole: number) => `${(whole === 0 ? 0 : round2((100 * part) / whole)).toFixed(2)}%`;
const share = (part: number, whole: number) => (whole === 0 ? 0 : round2((100 * part) / whole));
const rounded = (x: number | null) => (x === null ? null : round2(x));

function filtersOf(body: InsightsBody | ContactsBody, start: Date | null, end: Date | null): SessionFilters {
  const { start_date: _s, end_date: _e, ...rest } = body;
  return { ...rest, start, end };
}

function toChannel(c: ChannelRow, journeySessions: number, convertedUsers: number) {
  return {
    channel: c.channel,
    total_sessions: c.total_sessions,
    total_users: c.total_users,
    converting_users_first_touch: c.first_touch,
    converting_users_assisting_touch: c.assist_touch,
    converting_users_converting_touch: c.converting_touch,
    converting_users_after_touch: c.after_touch,
    session_influence: pct(c.total_sessions, journeySessions),
    conversion_influence: pct(c.attributed, convertedUsers),
    attributed_to_conversion: c.attributed,
    conversion_rate: pct(c.attributed, c.total_users),
  };
}

function toInsights(r: InsightsRow): Insights {
  const bins = [r.bin_0_1, r.bin_1_3, r.bin_3_7, r.bin_7_plus] as const;
  const binsOf = (f: (n: number) => number) => ({ '0-1 days': f(bins[0]), '1-3 days': f(bins[1]), '3-7 days': f(bins[2]), '7+ days': f(bins[3]) });
  return {
    overall_metrics: {
      user_summary: {
        total_users: r.total_users,
        total_converted_users: r.converted_users,
        conversion_rate: pct(r.converted_users, r.total_users),
        avg_sessions_per_user: round2(r.journey_sessions / r.total_users),
        avg_sessions_per_converted_user: r.converted_users === 0 ? null : round2(r.converted_journey_sessions / r.converted_users),
      },
      session_summary: {
        total_sessions: r.total_sessions,
        total_converting_sessions: r.converting_sessions,
        total_drop_off_sessions: r.drop_off_sessions,
        avg_session_duration_seconds: rounded(r.avg_duration),
        avg_converting_session_duration: rounded(r.avg_converting_duration),
        avg_drop_off_session_duration: rounded(r.avg_drop_off_duration),
        median_converting_session_duration: rounded(r.median_converting_duration),
        median_drop_off_session_duration: rounded(r.median_drop_off_duration),
      },
      conversion_summary: {
        avg_time_to_convert: rounded(r.avg_time_to_convert),
        median_time_to_convert: rounded(r.median_time_to_convert),
        conversion_timeline_bins: { counts: binsOf((n) => n), percentages: binsOf((n) => share(n, r.converted_users)) },
      },
      channels: (JSON.parse(r.channels) as ChannelRow[]).map((c) => toChannel(c, r.journey_sessions, r.converted_users)),
    },
  };
}

function groupByLead(rows: SessionRow[]): Map<string, SessionRow[]> {
  const byLead = new Map<string, SessionRow[]>();
  for (const row of rows) byLead.set(row.lead_id, [...(byLead.get(row.lead_id) ?? []), row]);
  return byLead;
}

export function createSessionsService(deps: { db: Db; now?: () => number }) {
  const repo = createSessionsRepository(deps.db);
  const now = deps.now ?? Date.now;

  async function contactsOf(t: Tenant, leads: Array<{ leadId: string; email: string | null }>): Promise<Contact[]> {
    const journeys = groupByLead(await repo.journeys(t, [...new Set(leads.map((l) => l.leadId))]));
    const at = now();
    return leads.map((l) => toContact(l.email, journeys.get(l.leadId) ?? [], at));
  }

  /** Email mode: the offset walks the submitted list, CONTACTS_PAGE emails at a time. */
  async function contactsByEmail(t: Tenant, emails: string[], offset: number) {
    const slice = emails.slice(offset, offset + CONTACTS_PAGE);
    const owners = await repo.leadsByEmail(t, slice);
    const seen = new Set<string>();
    const found = slice.flatMap((email) => {
      const leadId = owners.get(email);
      if (leadId === undefined || seen.has(leadId)) return [];
      seen.add(leadId);
      return [{ leadId, email }];
    });
    const processed = Math.min(offset + CONTACTS_PAGE, emails.length);
    return { contacts: await contactsOf(t, found), processed: Math.max(processed, offset), total: emails.length };
  }

  async function contactsByFilters(t: Tenant, body: ContactsBody) {
    const page = await repo.contactsPage(t, filtersOf(body, body.start_date ?? null, body.end_date ?? null), body.offset, CONTACTS_PAGE);
    const ids = JSON.parse(page.ids) as string[];
    const emails = await repo.primaryEmails(t, ids);
    const contacts = await contactsOf(t, ids.map((leadId) => ({ leadId, email: emails.get(leadId) ?? null })));
    const processed = ids.length === CONTACTS_PAGE && page.last_rn !== null ? page.last_rn : Math.max(page.total, body.offset);
    return { contacts, processed, total: page.total };
  }

  return {
    async insights(t: Tenant, body: InsightsBody) {
      const end = body.end_date ?? new Date(now());
      const start = body.start_date ?? new Date(end.getTime() - INSIGHTS_DEFAULT_DAYS * DAY_MS);
      const row = await repo.insights(t, filtersOf(body, start, end));
      return row.total_users === 0 ? NO_INSIGHTS : toInsights(row);
    },

    async contacts(t: Tenant, body: ContactsBody) {
      const result = body.emails ? await contactsByEmail(t, body.emails, body.offset) : await contactsByFilters(t, body);
      if (result.contacts.length === 0) return NO_CONTACTS;
      const pagination = { records_processed: result.processed, total_records: result.total, has_more: result.processed < result.total };
      return { contacts: result.contacts, pagination };
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
