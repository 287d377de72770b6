import { sql } from 'kysely';
import type { Tenant } from '../../../auth/tenant.js';
import type { Db } from '../../../db/database.js';
import { cohortSessionCtes } from './cohort-sessions.sql.js';
import { qualifies, sessionCtes, type SessionFilters } from './sessions.sql.js';

export interface InsightsRow {
  total_users: number;
  converted_users: number;
  journey_sessions: number;
  converted_journey_sessions: number;
  total_sessions: number;
  converting_sessions: number;
  drop_off_sessions: number;
  avg_duration: number | null;
  avg_converting_duration: number | null;
  avg_drop_off_duration: number | null;
  median_converting_duration: number | null;
  median_drop_off_duration: number | null;
  avg_time_to_convert: number | null;
  median_time_to_convert: number | null;
  bin_0_1: number;
  bin_1_3: number;
  bin_3_7: number;
  bin_7_plus: number;
  channels: string;
}

export interface ChannelRow {
  channel: string;
  total_sessions: number;
  total_users: number;
  first_touch: number;
  assist_touch: number;
  converting_touch: number;
  after_touch: number;
  attributed: number;
}

export interface ContactsPageRow {
  total: number;
  last_rn: number | null;
  ids: string;
}

export interface SessionRow {
  lead_id: string;
  sess_no: number;
  start_at: Date;
  last_at: Date;
  source: string;
  medium: string;
  campaign: string | null;
  content: string | null;
  term: string | null;
  landing_page: string | null;
  last_page: string | null;
  last_prev_page: string | null;
  has_exit: boolean;
  duration: number;
  convs: string;
}

const windowOf = (f: SessionFilters) => ({ start: f.start, end: f.end });

/**
 * Runs a cohort statement with 64 MB of work memory: it hashes and sorts one row per session of
 * the cohort's whole journeys (200,000 at 1M events in bench/analytics), which 4 MB spills to disk.
 */
function withSortMemory<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local work_mem = '64MB'`.execute(trx);
    return work(trx);
  });
}

/** `q` qualifying sessions, `j` the cohort's whole journeys, `u` per user, `cu` converted users, `ch` per channel. */
function cohortCtes(f: SessionFilters) {
  return sql`
        q as (select * from attr where ${qualifies(f)}),
        j as (
          select * from (select a.*, bool_or(${qualifies(f)}) over (partition by lead_id collate "C") as in_cohort from attr a) x
          where in_cohort),
        u as (select lead_id, count(*)::int as n_sess, min(start_at) as first_at, min(conv_at) as first_conv_at from j group by lead_id),
        cu as (select n_sess, extract(epoch from first_conv_at - first_at)::float8 as ttc from u where first_conv_at is not null),
        ch as (
          select medium || '/' || source as channel, count(*)::int as total_sessions, count(distinct lead_id)::int as total_users,
            count(distinct lead_id) filter (where sess_no = 1 and first_conv_no is not null)::int as first_touch,
            count(distinct lead_id) filter (where sess_no > 1 and sess_no < first_conv_no)::int as assist_touch,
            count(distinct lead_id) filter (where sess_no = first_conv_no)::int as converting_touch,
            count(distinct lead_id) filter (where sess_no > first_conv_no)::int as after_touch,
            count(distinct lead_id) filter (where sess_no <= first_conv_no)::int as attributed
          from j group by medium, source
        )`;
}

export function createSessionsRepository(db: Db) {
  return {
    /** Cohort aggregates of POST /api/v1/insights in one statement (docs/session-insights.md). */
    async insights(t: Tenant, f: SessionFilters): Promise<InsightsRow> {
      const { rows } = await withSortMemory(db, (trx) => sql<InsightsRow>`
        with ${cohortSessionCtes(t, windowOf(f), f)},
        ${cohortCtes(f)}
        select
          (select count(*) from u)::int as total_users,
          (select count(*) from cu)::int as converted_users,
          (select coalesce(sum(n_sess), 0) from u)::int as journey_sessions,
          (select coalesce(sum(n_sess), 0) from cu)::int as converted_journey_sessions,
          (select count(*) from q)::int as total_sessions,
          (select count(*) from q where conv_at is not null)::int as converting_sessions,
          (select count(*) from q where has_exit)::int as drop_off_sessions,
          (select avg(duration) from q)::float8 as avg_duration,
          (select avg(duration) from q where conv_at is not null)::float8 as avg_converting_duration,
          (select avg(duration) from q where has_exit)::float8 as avg_drop_off_duration,
          (select percentile_cont(0.5) within group (order by duration) from q where conv_at is not null)::float8 as median_converting_duration,
          (select percentile_cont(0.5) within group (order by duration) from q where has_exit)::float8 as median_drop_off_duration,
          (select avg(ttc) from cu)::float8 as avg_time_to_convert,
          (select percentile_cont(0.5) within group (order by ttc) from cu)::float8 as median_time_to_convert,
          (select count(*) from cu where ttc < 86400)::int as bin_0_1,
          (select count(*) from cu where ttc >= 86400 and ttc < 3 * 86400)::int as bin_1_3,
          (select count(*) from cu where ttc >= 3 * 86400 and ttc < 7 * 86400)::int as bin_3_7,
          (select count(*) from cu where ttc >= 7 * 86400)::int as bin_7_plus,
          (select coalesce(json_agg(ch order by total_sessions + total_users desc, channel collate "C"), '[]'::json) from ch)::text as channels
      `.execute(trx));
      return rows[0] as InsightsRow;
    },

    /**
     * One page of converted contacts found by scanning qualifying sessions in (start, lead, session)
     * order from `offset`: a contact is counted at its first qualifying session only, so pages never repeat one.
     */
    async contactsPage(t: Tenant, f: SessionFilters, offset: number, limit: number): Promise<ContactsPageRow> {
      const { rows } = await withSortMemory(db, (trx) => sql<ContactsPageRow>`
        with ${cohortSessionCtes(t, windowOf(f), f)},
        ranked as (
          select lead_id, first_conv_no, row_number() over (order by start_at, lead_id, sess_no) as rn
          from attr where ${qualifies(f)}
        ),
        firsts as (select lead_id, min(rn) as rn from ranked where first_conv_no is not null group by lead_id),
        page as (select lead_id, rn from firsts where rn > ${offset} order by rn limit ${limit})
        select (select count(*) from ranked)::int as total, (select max(rn) from page)::int as last_rn,
          (select coalesce(json_agg(lead_id order by rn), '[]'::json) from page)::text as ids
      `.execute(trx));
      return rows[0] as ContactsPageRow;
    },

    /** Every session of the given leads, with its conversion events, journey order. */
    async journeys(t: Tenant, leadIds: string[]): Promise<SessionRow[]> {
      if (leadIds.length === 0) return [];
      const none: SessionFilters = { start: null, end: null, touch_scope: 'any' };
      const { rows } = await sql<SessionRow>`
        with ${sessionCtes(t, { ids: leadIds }, none, true)}
        select lead_id, sess_no, start_at, last_at, source, medium, campaign, content, term, landing_page,
          last_page, last_prev_page, has_exit, duration, convs
        from attr order by lead_id, sess_no
      `.execute(db);
      return rows;
    },

    /** Each lead's primary email: its first email alias (semantics §9). */
    async primaryEmails(t: Tenant, leadIds: string[]): Promise<Map<string, string>> {
      if (leadIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('lead_aliases')
        .select(['lead_id', 'value'])
        .distinctOn('lead_id')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', 'email')
        .where('lead_id', 'in', leadIds)
        .orderBy('lead_id')
        .orderBy('created_at')
        .orderBy('value')
        .execute();
      return new Map(rows.map((r) => [r.lead_id, r.value]));
    },

    /** The leads owning these normalized emails, in the OU. */
    async leadsByEmail(t: Tenant, emails: string[]): Promise<Map<string, string>> {
      if (emails.length === 0) return new Map();
      const rows = await db
        .selectFrom('lead_aliases')
        .select(['value', 'lead_id'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', 'email')
        .where('value', 'in', emails)
        .execute();
      return new Map(rows.map((r) => [r.value, r.lead_id]));
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
