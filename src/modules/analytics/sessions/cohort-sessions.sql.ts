import { sql, type RawBuilder } from 'kysely';
import type { Tenant } from '../../../auth/tenant.js';
import { attributionCtes, candidates, conversionMatch, ouSettingsCte, webEvents, type SessionFilters } from './sessions.sql.js';

const PAGE = sql`coalesce(nullif(e.metadata->>'url', ''), nullif(e.metadata->>'page_url', ''))`;

/**
 * The same sessions as `sessionCtes` (semantics §9), built for cohort statements (insights and
 * contacts pages, whose journeys can be most of the table) with as little work per event as
 * possible:
 * - `cand` is materialized: computed once even where the planner has no statistics (PGlite never
 *   analyzes on its own; un-materialized, it was re-run under a nested loop once per journey event);
 * - `b`: every web event of the candidates, read in journey order through events_web_journey
 *   (migrations/0065: no sort), with its neighbours' times, its position and whether it converts
 *   (the OU's conversion types, read once) in one window pass;
 * - `edges`: only the rows that open or close a session or convert; a session's other events add
 *   nothing but their count, which the positions give. Attribution fields are taken from the
 *   opening row only, conversion details from converting rows only (no jsonb parsing for others);
 * - `n`, `sess`: those rows numbered into sessions and folded into one row per session.
 * bench/analytics (1M events, 950,000 journey events): bench/README.md, "Session insights".
 */
export function cohortSessionCtes(t: Tenant, window: { start: Date | null; end: Date | null }, f: SessionFilters): RawBuilder<unknown> {
  return sql`
  ${ouSettingsCte(t)},
  cand as materialized (${candidates(t, { window })}),
  b as (
    select e.lead_id, e.seq, e.occurred_at, e.event_type, e.metadata,
      (e.event_type = any((select conv_types from ou)::text[]) or e.metadata->>'conversion' = 'true') as is_conv,
      lag(e.occurred_at) over w as prev_at, lead(e.occurred_at) over w as next_at, row_number() over w as rn
    from (select lead_id from cand order by lead_id) c
    join events e on e.lead_id = c.lead_id and ${webEvents(t, 'e')}
    window w as (partition by e.lead_id order by e.occurred_at, e.seq)
  ),
  ${edgesCte(f)},
  n as (
    select edges.*, count(*) filter (where is_first) over (partition by lead_id order by occurred_at, seq rows unbounded preceding) as sess_no
    from edges
  ),
  sess as (
    select lead_id, sess_no::int as sess_no, min(occurred_at) as start_at, max(occurred_at) as last_at, (max(rn) - min(rn) + 1)::int as n_events,
      min(occurred_at) filter (where is_conv) as conv_at, coalesce(bool_or(conv_match), false) as conv_match,
      max(landing_page) as landing_page, max(referrer) as referrer, max(utm_source) as utm_source, max(utm_medium) as utm_medium,
      max(campaign) as campaign, max(content) as content, max(term) as term
    from n group by lead_id, sess_no
  ),
  ${attributionCtes()}`;
}

/** `edges`: the rows of `b` that open or close a session or convert, with what each of those needs. */
function edgesCte(f: SessionFilters) {
  return sql`
  edges as (
    select lead_id, seq, occurred_at, rn, is_conv, is_first, is_last,
      case when is_conv then coalesce(${conversionMatch(f)}, false) else false end as conv_match,
      case when is_first then page end as landing_page, case when is_first then nullif(e.metadata->>'referrer', '') end as referrer,
      case when is_first then nullif(e.metadata->>'utm_source', '') end as utm_source,
      case when is_first then nullif(e.metadata->>'utm_medium', '') end as utm_medium,
      case when is_first then nullif(e.metadata->>'utm_campaign', '') end as campaign,
      case when is_first then nullif(e.metadata->>'utm_content', '') end as content,
      case when is_first then nullif(e.metadata->>'utm_term', '') end as term
    from (select e.*, ${PAGE} as page, coalesce(e.metadata->>'conversion_type', 'custom') as conv_type,
            coalesce(e.metadata->>'conversion_id', e.event_type) as conv_id
          from (select b.*, coalesce(occurred_at - prev_at > (select gap from ou), true) as is_first,
                  coalesce(next_at - occurred_at > (select gap from ou), true) as is_last from b) e
          where is_first or is_last or is_conv) e
  )`;
}
