/**
 * $4 web events for $3 leads of OU ($1, $2) over 90 days (2025-04-01 .. 2025-06-30), already
 * scored (the worker is off): sessions of 5 events a minute apart; session starts carry a
 * referrer or UTM tags, one session in 10 ends with a form_submit, one event in 20 is an email.
 */
export const SEED_EVENTS = `
  with leads_in as (
    insert into leads (org_id, unit_id, id) select $1, $2, 'lead-' || g from generate_series(1, $3::int) g returning 1
  )
  insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, scored_at)
  select $1, $2, 'lead-' || (1 + (s % $3::int)),
         case when g % 20 = 19 then 'email_open' when g % 5 = 4 and ((s / $3::int) + s) % 10 = 0 then 'form_submit' else 'page_view' end,
         case when g % 20 = 19 then 'email' else 'web' end,
         case when g % 5 = 0 then jsonb_build_object('url', 'https://ex.com/p' || (s % 7),
                case s % 4 when 0 then 'referrer' else 'utm_source' end,
                case s % 4 when 0 then 'https://www.google.com/search?q=' || s when 1 then 'newsletter' when 2 then 'linkedin' else 'partner' end)
                || case when s % 4 in (1, 2) then jsonb_build_object('utm_medium', case s % 4 when 1 then 'email' else 'social' end, 'utm_campaign', 'c' || (s % 13)) else '{}'::jsonb end
              else jsonb_build_object('url', 'https://ex.com/p' || (g % 11)) end,
         timestamptz '2025-04-01' + (s::float8 / ($4::int / 5)) * interval '90 days' + (g % 5) * interval '1 minute',
         now()
    from generate_series(0, $4::int - 1) g, lateral (select g / 5 as s) x
   where (select count(*) from leads_in) > 0`;
