import type pg from 'pg';

export interface DatasetSize {
  orgId: string;
  unitId: string;
  leads: number;
  events: number;
}

/** Accounts of the dataset: `acct-<k>` (k < ACCOUNTS); the leads link to the first LINKED_ACCOUNTS of them. */
export const ACCOUNTS = 3200;
const LINKED_ACCOUNTS = 3000;

/**
 * A read benchmark's OU, written with SQL (generate_series), then VACUUM ANALYZE: `leads` leads
 * `lead-<g>` with metadata (plan, employees, country, company.size, owner_name) and an email alias
 * `lead-<g>@bench.io`; four in five of them linked to one of 3,000 accounts (`acct-<(g / 5) % 3000>`,
 * ~27 leads each; 200 more accounts have none), as the ABM feature stores them; their primary
 * score (0..159; a linked lead's capped by its account's number, so that accounts' top scores
 * spread over the three account levels), scoring state (last event time and type) and `events` events spread over them across 90
 * days (types, channel, metadata.source). ABM is on, with account levels Low/Medium/High, and a few
 * of the last day's events have a surged score row (an account's `surging`).
 */
export async function seedDataset(client: pg.Client, d: DatasetSize): Promise<void> {
  const { rows } = await client.query<{ id: string }>('select id from rulesets where unit_id = $1 and is_primary', [d.unitId]);
  const unit = [d.orgId, d.unitId, d.leads];
  await seedAccounts(client, d);
  await client.query(
    `insert into leads (org_id, unit_id, id, account_id, metadata, created_at)
     select $1, $2, 'lead-' || g, case when g % 5 <> 0 then 'acct-' || ((g / 5) % ${LINKED_ACCOUNTS}) end,
            jsonb_build_object('owner_name', 'Owner ' || (g % 97), 'plan', (array['free','pro','enterprise','trial'])[1 + g % 4],
                               'employees', (g * 7919) % 5000,
                               'country', (array['US','DE','FR','GB','NL','SE','ES','IT','CA','AU'])[1 + (g / 7) % 10],
                               'company', jsonb_build_object('size', (array['small','medium','large'])[1 + (g / 3) % 3])),
            now() - make_interval(days => g % 365)
       from generate_series(1, $3::int) g`,
    unit,
  );
  await client.query(
    `insert into lead_aliases (org_id, unit_id, kind, value, lead_id)
     select $1, $2, 'email', 'lead-' || g || '@bench.io', 'lead-' || g from generate_series(1, $3::int) g`,
    unit,
  );
  await client.query(
    `insert into lead_scores (org_id, unit_id, lead_id, ruleset_id, total_score, last_event_at)
     select $1, $2, 'lead-' || g, $4,
            -- a linked lead's score is capped by its account (30..159), so accounts spread over the levels
            case when g % 5 <> 0 then least((g * 31) % 160, 30 + ((g / 5) % ${LINKED_ACCOUNTS}) % 130) else (g * 31) % 160 end,
            now() - make_interval(hours => g % 2000)
       from generate_series(1, $3::int) g`,
    [...unit, rows[0]?.id],
  );
  await client.query(
    `insert into lead_scoring_state (org_id, unit_id, lead_id, last_event_at, last_event_type)
     select $1, $2, 'lead-' || g, now() - make_interval(hours => g % 2000),
            (array['page_view','email_open','form_submit','demo_request','webinar_attended'])[1 + (g / 11) % 5]
       from generate_series(1, $3::int) g`,
    unit,
  );
  await client.query(
    `insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, scored_at)
     select $1, $2, 'lead-' || (1 + (g::bigint * 104729) % $3),
            (array['page_view','page_view','page_view','page_view','email_open','email_open','webinar_attended','form_submit','demo_request','pricing_view'])[1 + g % 10],
            'web',
            jsonb_build_object('source', (array['google','linkedin','newsletter','direct','partner'])[1 + (g / 10) % 5],
                               'pages', g % 12),
            now() - make_interval(mins => g % 129600), now()
       from generate_series(1, $4::int) g`,
    [...unit, d.events],
  );
  await seedSurges(client, d, rows[0]?.id);
  await client.query('vacuum analyze');
  // The seed's dirty pages written now, not by the checkpointer during the first measured reads.
  await client.query('checkpoint');
}

/** ABM on, account levels, and ACCOUNTS accounts with a domain, a name and metadata, created over a year. */
async function seedAccounts(client: pg.Client, d: DatasetSize): Promise<void> {
  await client.query('update organizations set abm_enabled = true where id = $1', [d.orgId]);
  await client.query(
    `insert into levels (org_id, unit_id, kind, name, min_score, max_score)
     values ($1, $2, 'account', 'Low', 0, 49), ($1, $2, 'account', 'Medium', 50, 119), ($1, $2, 'account', 'High', 120, 1000000)`,
    [d.orgId, d.unitId],
  );
  await client.query(
    `insert into accounts (org_id, unit_id, id, domain, name, metadata, created_at)
     select $1, $2, 'acct-' || k, 'company' || k || '.example', 'Company ' || k,
            jsonb_build_object('industry', (array['saas','retail','finance','health'])[1 + k % 4]),
            now() - make_interval(days => k % 365)
       from generate_series(0, $3::int - 1) k`,
    [d.orgId, d.unitId, ACCOUNTS],
  );
}

/** A surged primary score row for one in 40 of the events of the last 20 hours. */
async function seedSurges(client: pg.Client, d: DatasetSize, rulesetId: string | undefined): Promise<void> {
  await client.query(
    `insert into event_scores (event_id, ruleset_id, org_id, unit_id, lead_id, event_type, base, multiplier, delta,
                               score_before, score_after, surged, occurred_at)
     select e.id, $3, e.org_id, e.unit_id, e.lead_id, e.event_type, 1, 2, 2, 0, 2, true, e.occurred_at
       from events e
      where e.org_id = $1 and e.unit_id = $2 and e.occurred_at >= now() - interval '20 hours' and e.seq % 40 = 0`,
    [d.orgId, d.unitId, rulesetId],
  );
}

/** The lead read model (leads ⋈ primary score ⋈ scoring state) of OU ($1 org, $2 OU), as a hand-written query. */
const LEAD_READ_FROM = `from leads l
  left join lead_scores s on s.org_id = l.org_id and s.unit_id = l.unit_id and s.lead_id = l.id
   and s.ruleset_id = (select id from rulesets where unit_id = $2 and is_primary)
  left join lead_scoring_state st on st.org_id = l.org_id and st.unit_id = l.unit_id and st.lead_id = l.id
 where l.org_id = $1 and l.unit_id = $2 and l.merged_into is null`;

/** Hand-written SQL of a lead list: its first page of 50 (score desc, id) and its count, under `condition`. */
export function leadListSql(condition: string): { pageSql: string; countSql: string } {
  return {
    pageSql: `select l.id, l.created_at, l.account_id, l.metadata, st.last_event_at, st.last_event_type,
        coalesce(s.total_score, 0) as score,
        (select lv.name from levels lv where lv.org_id = l.org_id and lv.unit_id = l.unit_id and lv.kind = 'engagement'
            and coalesce(s.total_score, 0) between lv.min_score and lv.max_score order by lv.min_score limit 1) as level
      ${LEAD_READ_FROM} and ${condition}
      order by coalesce(s.total_score, 0) desc, l.id limit 50`,
    countSql: `select count(*)::int as n ${LEAD_READ_FROM} and ${condition}`,
  };
}
