-- Campaign drilldown (GET /analytics/campaigns/{name}/leads, seed 001): one campaign's tagged
-- events in a date window. The covering index of 0045 leads with the time, so `utm_campaign =
-- $name` was a filter on its third key: the drilldown read every tagged event of the window (all
-- campaigns) to keep one campaign's (bench/analytics, 90 days at 1M events: 7,900 index pages for
-- 21,000 rows of 300,000). With the campaign before the time, it reads that campaign's entries of
-- the window only. The aggregate over all campaigns keeps 0045's time-first index. Campaign only:
-- sources and mediums have few values, each a large share of the window anyway.
create index events_unit_campaign_time on events (unit_id, utm_campaign, occurred_at)
  include (org_id, lead_id, normalized, normalized_parent) where utm_campaign is not null;
