/**
 * The insights aggregates written by hand for one case (no filter but the window, touch_scope any):
 * only the columns the answer needs (no landing, exit or previous pages, no lead() window), the
 * journeys read per candidate lead through a lateral index scan. $1 org, $2 OU, $3..$4 window.
 */
export const HAND_TUNED_INSIGHTS = `
  with gap as (select make_interval(mins => session_timeout_minutes) as gap from org_units where org_id = $1 and id = $2),
  cand as (
    select distinct lead_id from events
     where org_id = $1 and unit_id = $2 and channel = 'web' and occurred_at >= $3 and occurred_at <= $4
       and not (normalized and not normalized_parent)
  ),
  ev as (
    select e.lead_id, e.seq, e.occurred_at, e.metadata,
           (e.event_type in ('form_submit', 'demo_request', 'signup', 'purchase') or e.metadata->>'conversion' = 'true') as is_conv,
           coalesce(e.occurred_at - lag(e.occurred_at) over w > (select gap from gap), true) as is_first
      from cand c
      cross join lateral (
        select * from events e
         where e.org_id = $1 and e.unit_id = $2 and e.lead_id = c.lead_id and e.channel = 'web'
           and not (e.normalized and not e.normalized_parent)
      ) e
    window w as (partition by e.lead_id order by e.occurred_at, e.seq)
  ),
  num as (select ev.*, count(*) filter (where is_first) over (partition by lead_id order by occurred_at, seq) as sess_no from ev),
  sess as (
    select lead_id, sess_no, min(occurred_at) as start_at, max(occurred_at) as last_at, count(*) as n,
           min(occurred_at) filter (where is_conv) as conv_at,
           max(nullif(metadata->>'utm_source', '')) filter (where is_first) as utm_source,
           max(nullif(metadata->>'utm_medium', '')) filter (where is_first) as utm_medium,
           max(nullif(regexp_replace(substring(lower(btrim(metadata->>'referrer')) from '^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#]*@)?([^/:?#]+)'), '^www\\.', ''), ''))
             filter (where is_first) as ref_domain
      from num group by lead_id, sess_no
  ),
  s as (
    select lead_id, sess_no, start_at, conv_at,
           round(extract(epoch from coalesce(conv_at, last_at) - start_at))::int as duration,
           conv_at is null and n > 1 as has_exit,
           coalesce(utm_medium, case when ref_domain is null then 'direct'
             when ref_domain ~ '(^|\\.)(google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|ask|aol|naver|seznam|qwant|startpage)\\.[a-z.]+$|^search\\.brave\\.com$' then 'organic'
             else 'referral' end) || '/' || coalesce(utm_source, ref_domain, '(direct)') as channel,
           min(sess_no) filter (where conv_at is not null) over (partition by lead_id) as first_conv_no
      from sess
  ),
  q as (select * from s where start_at >= $3 and start_at <= $4),
  j as (select * from s where lead_id in (select lead_id from q)),
  u as (select lead_id, count(*) as n_sess, min(start_at) as first_at, min(conv_at) as first_conv_at from j group by lead_id),
  ch as (
    select channel, count(*)::int as total_sessions, count(distinct lead_id)::int as total_users,
           count(distinct lead_id) filter (where sess_no <= first_conv_no)::int as attributed
      from j group by channel
  )
  select (select count(*) from u)::int as total_users,
         (select count(*) from u where first_conv_at is not null)::int as converted_users,
         (select count(*) from q)::int as total_sessions,
         (select count(*) from q where conv_at is not null)::int as converting_sessions,
         (select count(*) from q where has_exit)::int as drop_off_sessions,
         (select avg(duration) from q)::float8 as avg_duration,
         (select percentile_cont(0.5) within group (order by duration) from q where has_exit)::float8 as median_drop_off,
         (select avg(extract(epoch from first_conv_at - first_at)) from u)::float8 as avg_time_to_convert,
         (select json_agg(ch order by total_sessions + total_users desc, channel collate "C") from ch) as channels`;
