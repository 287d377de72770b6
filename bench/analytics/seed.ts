import type pg from 'pg';
import { seedLeads, withClient } from '../lib/db.js';

export interface SeedSize {
  events: number;
  leads: number;
  accounts: number;
  campaigns: number;
  /** Events spread evenly over this many days before now. */
  days: number;
}

/** Account ids as the leads and deals carry them (UUIDs, as the lead API demands). */
const accountSql = (n: string) => `md5('bench-account-' || (${n}))::uuid::text`;
const leadSql = (n: string) => `md5('bench-lead-' || (${n}))::uuid::text`;

async function seedAccountsAndScores(c: pg.Client, orgId: string, unitId: string, size: SeedSize) {
  // 80 % of the leads belong to an account; scores 0..119 under the primary ruleset (Cold/Warm/Hot).
  await c.query(`update leads set account_id = ${accountSql('abs(hashtext(id)) % $3')} where org_id = $1 and unit_id = $2 and abs(hashtext(id)) % 5 <> 0`, [orgId, unitId, size.accounts]);
  await c.query(
    `insert into lead_scores (org_id, unit_id, lead_id, ruleset_id, total_score)
     select $1, $2, ${leadSql('g')}, (select id from rulesets where org_id = $1 and unit_id = $2 and is_primary), (g * 37) % 120
       from generate_series(1, $3::int) g`,
    [orgId, unitId, size.leads],
  );
  const stages = `(array['lead','mql','sql','proposal','negotiation','closedwon','Closed_Won','closed lost'])[1 + g % 8]`;
  await c.query(
    `insert into deals (org_id, unit_id, name, stage, amount, account_id)
     select $1, $2, 'deal ' || g, ${stages}, 1000 + (g * 7919) % 90000, ${accountSql('g % $3')}
       from generate_series(1, $3::int * 3 / 2) g`,
    [orgId, unitId, size.accounts],
  );
  await seedDealContactsAndMilestones(c, orgId, unitId, size);
}

/**
 * One explicit contact per deal (any lead, usually outside the account), and the scores of every
 * contact (explicit + the account's leads) at each milestone up to the deal's, rising from MQL to
 * close, as the deals module records them on stage entry (docs/deals.md).
 */
async function seedDealContactsAndMilestones(c: pg.Client, orgId: string, unitId: string, size: SeedSize) {
  await c.query(
    `insert into deal_contacts (org_id, unit_id, deal_id, lead_id)
     select $1, $2, d.id, ${leadSql('1 + abs(hashtext(d.id::text)) % $3')} from deals d where d.org_id = $1 and d.unit_id = $2`,
    [orgId, unitId, size.leads],
  );
  await c.query(
    `insert into deal_milestone_scores (org_id, unit_id, deal_id, lead_id, milestone, score)
     select $1, $2, k.deal_id, k.lead_id, m.milestone, m.base + abs(hashtext(k.lead_id || m.milestone)) % 30
       from (select d.id as deal_id, d.milestone, x.lead_id from deals d
               cross join lateral (select lead_id from deal_contacts dc where dc.org_id = $1 and dc.deal_id = d.id
                                   union select l.id from leads l where l.org_id = $1 and l.unit_id = $2 and l.account_id = d.account_id) x
              where d.org_id = $1 and d.unit_id = $2 and d.milestone is not null) k
       join (values ('mql', 10, 1), ('sql', 30, 2), ('opportunity', 50, 3), ('close', 70, 4)) m(milestone, base, rank)
         on m.rank <= case k.milestone when 'mql' then 1 when 'sql' then 2 when 'opportunity' then 3 else 4 end`,
    [orgId, unitId],
  );
}

/**
 * `size.events` events of the OU over `size.days` days, 60 % tagged with UTMs (campaigns skewed:
 * a few large, a long tail), every event with a score_delta in its outcome row as the worker writes
 * it, all already scored (nothing queued), then VACUUM ANALYZE (autovacuum is off on the bench PostgreSQL).
 */
export async function seedAnalytics(url: string, orgId: string, unitId: string, size: SeedSize): Promise<void> {
  await seedLeads(url, orgId, unitId, size.leads);
  await withClient(url, async (c) => {
    await seedAccountsAndScores(c, orgId, unitId, size);
    // The worker's outcome rows (migrations/0071) carry the points, as scoring writes them.
    await c.query(
      `with scored as (
         insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, received_at)
         select $1, $2, ${leadSql('1 + (g * 7919) % $4::bigint')}, (array['page_view','email_open','form_submit','webinar_join'])[1 + g % 4], 'web',
                case when g % 10 < 6 then jsonb_build_object(
                       'utm_campaign', 'campaign-' || floor($5 * power(((g * 104729) % 1000003) / 1000003.0, 2))::int,
                       'utm_source', 'source-' || g % 10, 'utm_medium', 'medium-' || g % 5, 'url', '/p/' || g % 100)
                     else jsonb_build_object('url', '/p/' || g % 100) end,
                now() - (g::float8 / $3) * ($6 || ' days')::interval, now()
           from generate_series(1, $3::bigint) g
         returning org_id, id, seq)
       insert into event_outcomes (org_id, event_id, patch)
       select org_id, id, jsonb_build_object('score_delta', seq % 11) from scored`,
      [orgId, unitId, size.events, size.leads, size.campaigns, size.days],
    );
    // And the primary ruleset's event score of each, whose delta is that score_delta.
    await c.query(
      `insert into event_scores (event_id, ruleset_id, org_id, unit_id, lead_id, event_type, base, multiplier, delta, score_before, score_after, occurred_at)
       select e.id, r.id, e.org_id, e.unit_id, e.lead_id, e.event_type, o.score_delta, 1, o.score_delta, 0, o.score_delta, e.occurred_at
         from events e join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id
         cross join (select id from rulesets where org_id = $1 and unit_id = $2 and is_primary) r
        where e.org_id = $1 and e.unit_id = $2`,
      [orgId, unitId],
    );
    await c.query('vacuum analyze');
  });
}
