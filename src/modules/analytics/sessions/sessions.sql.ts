import { sql, type RawBuilder } from 'kysely';
import type { Tenant } from '../../../auth/tenant.js';
import type { TouchScope } from './sessions.schemas.js';


/** Referrer domains whose traffic is `organic` rather than `referral` (docs/session-insights.md). */
const SEARCH_ENGINE =
  '(^|\\.)(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|ask|aol|naver|seznam|qwant|startpage)\\.[a-z.]+$|^search\\.brave\\.com$';
/** Host of a referrer URL (scheme and user info optional), lowercased, without a leading www. */
const REFERRER_HOST = '^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#]*@)?([^/:?#]+)';

/** Which leads' journeys to build: those with a web event in a window, or an explicit list. */
export type LeadScope = { window: { start: Date | null; end: Date | null } } | { ids: string[] };

export interface SessionFilters {
  start: Date | null;
  end: Date | null;
  conversion_page?: string | undefined;
  meta_type?: string | undefined;
  meta_id?: string | undefined;
  source?: string | undefined;
  medium?: string | undefined;
  campaign?: string | undefined;
  content?: string | undefined;
  term?: string | undefined;
  landing_page?: string | undefined;
  touch_scope: TouchScope;
}

export const webEvents = (t: Tenant, alias: string) =>
  sql`${sql.ref(`${alias}.org_id`)} = ${t.orgId} and ${sql.ref(`${alias}.unit_id`)} = ${t.unitId}
      and ${sql.ref(`${alias}.channel`)} = 'web'
      and not (${sql.ref(`${alias}.normalized`)} and not ${sql.ref(`${alias}.normalized_parent`)})`;

export function candidates(t: Tenant, scope: LeadScope) {
  if ('ids' in scope) return sql`select unnest(${scope.ids}::text[]) as lead_id`;
  const { start, end } = scope.window;
  return sql`select distinct c.lead_id from events c where ${webEvents(t, 'c')}
    ${start ? sql`and c.occurred_at >= ${start}` : sql``} ${end ? sql`and c.occurred_at <= ${end}` : sql``}`;
}

/** The conversion filters a session's conversion must meet (true when none is given). */
export function conversionMatch(f: SessionFilters) {
  const parts = [sql`true`];
  if (f.conversion_page !== undefined) parts.push(sql`page = ${f.conversion_page}`);
  if (f.meta_type !== undefined) parts.push(sql`conv_type = ${f.meta_type}`);
  if (f.meta_id !== undefined) parts.push(sql`conv_id = ${f.meta_id}`);
  return sql.join(parts, sql` and `);
}

/**
 * CTEs `ou` … `attr`: every web session of the scoped leads (semantics §9), one row per session
 * with its attribution, first conversion, exit, duration and journey position. A session starts at
 * a lead's first web event and after every gap longer than the OU's session_timeout_minutes.
 * `withConversions` adds `convs`, a JSON array of the session's conversion events (page-sized reads only).
 */
export function sessionCtes(t: Tenant, scope: LeadScope, f: SessionFilters, withConversions = false): RawBuilder<unknown> {
  return sql`
  ${ouSettingsCte(t)},
  cand as (${candidates(t, scope)}),
  ${eventCtes(t)},
  ${sessionRowCtes(f, withConversions)}`;
}

const PAGE = sql`coalesce(nullif(e.metadata->>'url', ''), nullif(e.metadata->>'page_url', ''))`;

/**
 * `ou`: the OU's session gap and conversion types (semantics §9: a type in `conversion_event_types`,
 * or `metadata.conversion = true`, converts).
 */
export function ouSettingsCte(t: Tenant) {
  return sql`ou as (
    select make_interval(mins => session_timeout_minutes) as gap, conversion_event_types as conv_types
    from org_units where org_id = ${t.orgId} and id = ${t.unitId})`;
}

/** `ev`, `marked`, `numbered`: the candidates' web events with their session number and neighbours. */
function eventCtes(t: Tenant) {
  return sql`
  ev as (
    select e.lead_id, e.seq, e.occurred_at, e.event_type, ${PAGE} as page,
      nullif(e.metadata->>'referrer', '') as referrer,
      nullif(e.metadata->>'utm_source', '') as utm_source, nullif(e.metadata->>'utm_medium', '') as utm_medium,
      nullif(e.metadata->>'utm_campaign', '') as utm_campaign, nullif(e.metadata->>'utm_content', '') as utm_content,
      nullif(e.metadata->>'utm_term', '') as utm_term,
      (e.event_type = any((select conv_types from ou)::text[]) or e.metadata->>'conversion' = 'true') as is_conv,
      coalesce(e.metadata->>'conversion_type', 'custom') as conv_type,
      coalesce(e.metadata->>'conversion_id', e.event_type) as conv_id,
      lag(e.occurred_at) over w as prev_at, lead(e.occurred_at) over w as next_at, lag(${PAGE}) over w as prev_page
    from events e
    where ${webEvents(t, 'e')} and e.lead_id in (select lead_id from cand)
    window w as (partition by e.lead_id order by e.occurred_at, e.seq)
  ),
  marked as (
    select ev.*, (prev_at is null or occurred_at - prev_at > (select gap from ou)) as is_first,
      (next_at is null or next_at - occurred_at > (select gap from ou)) as is_last
    from ev
  ),
  numbered as (
    select m.*, case when is_first then null else prev_page end as prev_in_sess,
      sum(case when is_first then 1 else 0 end) over (partition by lead_id order by occurred_at, seq rows unbounded preceding) as sess_no
    from marked m
  )`;
}

/** `sess`, `hosts`, `attr`: one row per session, attributed, with its duration and journey role inputs. */
function sessionRowCtes(f: SessionFilters, withConversions: boolean) {
  const convs = withConversions
    ? sql`, coalesce(jsonb_agg(jsonb_build_object('at', extract(epoch from occurred_at) * 1000, 'page', page,
          'prev', prev_in_sess, 'type', conv_type, 'id', conv_id) order by occurred_at, seq) filter (where is_conv), '[]'::jsonb)::text as convs`
    : sql``;
  return sql`
  sess as (
    select lead_id, sess_no::int as sess_no, min(occurred_at) as start_at, max(occurred_at) as last_at, count(*)::int as n_events,
      max(page) filter (where is_first) as landing_page, max(referrer) filter (where is_first) as referrer,
      max(utm_source) filter (where is_first) as utm_source, max(utm_medium) filter (where is_first) as utm_medium,
      max(utm_campaign) filter (where is_first) as campaign, max(utm_content) filter (where is_first) as content,
      max(utm_term) filter (where is_first) as term,
      max(page) filter (where is_last) as last_page, max(prev_in_sess) filter (where is_last) as last_prev_page,
      min(occurred_at) filter (where is_conv) as conv_at,
      coalesce(bool_or(is_conv and ${conversionMatch(f)}), false) as conv_match ${convs}
    from numbered group by lead_id, sess_no
  ),
  ${attributionCtes()}`;
}

/**
 * `hosts`, `attr` over `sess` (one row per session with its first event's referrer and UTMs,
 * `conv_at`, `last_at`, `n_events`): the channel, duration, exit and journey position.
 */
export function attributionCtes() {
  return sql`
  hosts as (
    select sess.*, nullif(regexp_replace(substring(lower(btrim(referrer)) from ${REFERRER_HOST}), '^www\\.', ''), '') as ref_domain
    from sess
  ),
  attr as (
    select h.*,
      coalesce(utm_source, ref_domain, '(direct)') as source,
      coalesce(utm_medium, case when ref_domain is null then 'direct' when ref_domain ~ ${SEARCH_ENGINE} then 'organic' else 'referral' end) as medium,
      round(extract(epoch from coalesce(conv_at, last_at) - start_at))::int as duration,
      (conv_at is null and n_events > 1) as has_exit,
      min(sess_no) filter (where conv_at is not null) over (partition by lead_id collate "C") as first_conv_no
    from hosts h
  )`;
}

/** The predicate a session of `attr` meets when it matches every filter (seed 002: AND, exact, case-sensitive). */
export function qualifies(f: SessionFilters): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (f.start) parts.push(sql`start_at >= ${f.start}`);
  if (f.end) parts.push(sql`start_at <= ${f.end}`);
  for (const key of ['source', 'medium', 'campaign', 'content', 'term', 'landing_page'] as const) {
    const value = f[key];
    if (value !== undefined) parts.push(sql`${sql.ref(key)} = ${value}`);
  }
  if (f.conversion_page !== undefined || f.meta_type !== undefined || f.meta_id !== undefined) parts.push(sql`conv_match`);
  parts.push(scopePredicate(f.touch_scope));
  return sql<boolean>`(${sql.join(parts, sql` and `)})`;
}

function scopePredicate(scope: TouchScope) {
  switch (scope) {
    case 'first':
      return sql`sess_no = 1`;
    case 'converting':
      return sql`conv_at is not null`;
    case 'assist':
      return sql`sess_no > 1 and sess_no < first_conv_no`;
    case 'after':
      return sql`sess_no > first_conv_no`;
    default:
      return sql`true`;
  }
}
