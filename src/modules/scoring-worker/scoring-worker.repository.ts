import { sql, type Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import { lockLeads, tryLockLeadForScoring, tryLockUnitShared } from '../../db/locks.js';
import { preparedStatement } from '../../db/prepared-pool.js';
import type { EventScoresTable, JsonValue, LeadScoresTable, LeadScoringStateTable } from '../../db/types.js';
import type { SurgePolicy } from '../scoring/surge.js';
import { STANDARD_POLICY } from '../scoring/surge.js';

export interface ClaimedEvent {
  id: string;
  seq: number;
  org_id: string;
  unit_id: string;
  lead_id: string;
  event_type: string;
  channel: string;
  occurred_at: Date;
  received_at: Date;
  normalized: boolean;
  normalized_parent: boolean;
  /** Server-owned (migrations/0010): set only on the DECAY events the decay scheduler creates. */
  decay_id: string | null;
  decay_decrease: number | null;
  /** Failed scoring attempts so far (scoring_queue.attempts). */
  attempts: number;
  /**
   * The row id (`ctid`) of the event's scoring_queue row, which the claim locked: the pass deletes
   * that row by it. A row locked by this transaction cannot be updated or deleted by another, so its
   * id holds until the pass ends (only the pass's own recordFailure moves a row, and it never
   * deletes one it failed).
   */
  queue_row: string;
}

/** An event_scores row as the worker writes it (rules as a JSON value, not a string). */
export type EventScoreRow = Omit<Insertable<EventScoresTable>, 'rules'> & {
  rules: Array<{ rule_id: string; event_type: string; weight: number }>;
};

/** The rows one scoring pass writes (see writeScores). */
export interface ScoreWrites {
  eventScores: EventScoreRow[];
  leadScores: Array<Insertable<LeadScoresTable>>;
  states: Array<Insertable<LeadScoringStateTable>>;
  /** Metadata shown to readers, and the burst root the engine reads (a server-owned column). */
  patches: Array<{ org_id: string; id: string; patch: Record<string, JsonValue>; burst_root: string | null; queue_row: string }>;
}

/**
 * A backlog row of the claim: the event, its failed attempts, and whether the lead's run stops here
 * (the event waits for a retry after a failure, or another transaction still holds its queue row).
 */
type ClaimRow = ClaimedEvent & { delayed: boolean };

/** Where the round robin over OUs goes on: the last OU a pass served (the next pass starts after it). */
export interface ClaimCursor {
  org_id: string;
  unit_id: string;
}

export interface ClaimOptions {
  /** At most this many events in the pass. */
  limit: number;
  /** At most this many of them from one OU while other OUs have a backlog (the share cap). */
  perUnitWhenShared: number;
  /** At most this many OUs looked at in one pass. */
  maxUnits: number;
  cursor: ClaimCursor | null;
}

export interface Claim {
  events: ClaimedEvent[];
  /** The cursor for the next pass (unchanged when nothing was claimed). */
  cursor: ClaimCursor | null;
}

/** A lead this pass holds, with how many of its queued events the pass may take. */
type HeldLead = LeadKey & { quota: number; ord: number };

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export interface LeadKey {
  org_id: string;
  unit_id: string;
  lead_id: string;
}

export interface UnitConfig {
  orgId: string;
  allowNegative: boolean;
  rulesets: Array<{ id: string; name: string; is_primary: boolean }>;
  rules: Array<{ id: string; ruleset_id: string; event_type: string; weight: number; active: boolean; start_at: Date | null; end_at: Date | null }>;
  filters: Array<{ event_type: string; count_threshold: number; time_window_ms: number; group_events: boolean }>;
  levels: Array<{ name: string; min_score: number; max_score: number }>;
  surge: SurgePolicy;
  observeTypes: Set<string>;
}

/** unitConfig()'s row: each list as JSON (timestamps as text). */
interface UnitConfigRow {
  org_id: string;
  allow_negative_scores: boolean;
  rulesets: UnitConfig['rulesets'];
  rules: Array<Omit<UnitConfig['rules'][number], 'start_at' | 'end_at'> & { start_at: string | null; end_at: string | null }>;
  filters: UnitConfig['filters'];
  levels: UnitConfig['levels'];
  surge: SurgePolicy | null;
  observe_types: string[];
}

/** Statement 1 of claim(): the leads this pass holds, with their quotas. */
async function claimLeads(db: Db, o: ClaimOptions): Promise<HeldLead[]> {
  const cursorOrg = o.cursor?.org_id ?? ZERO_UUID;
  const cursorUnit = o.cursor?.unit_id ?? ZERO_UUID;
  const { rows } = await sql<HeldLead>`${sql.raw(preparedStatement('score_claim_leads'))}
    with recursive after_cursor (org_id, unit_id) as (
      (select org_id, unit_id from scoring_queue where (org_id, unit_id) > (${cursorOrg}::uuid, ${cursorUnit}::uuid)
        order by org_id, unit_id limit 1)
      union all
      select n.org_id, n.unit_id from after_cursor u cross join lateral (
        select q.org_id, q.unit_id from scoring_queue q where (q.org_id, q.unit_id) > (u.org_id, u.unit_id)
        order by q.org_id, q.unit_id limit 1) n
    ),
    up_to_cursor (org_id, unit_id) as (
      (select org_id, unit_id from scoring_queue where (org_id, unit_id) <= (${cursorOrg}::uuid, ${cursorUnit}::uuid)
        order by org_id, unit_id limit 1)
      union all
      select n.org_id, n.unit_id from up_to_cursor u cross join lateral (
        select q.org_id, q.unit_id from scoring_queue q
        where (q.org_id, q.unit_id) > (u.org_id, u.unit_id) and (q.org_id, q.unit_id) <= (${cursorOrg}::uuid, ${cursorUnit}::uuid)
        order by q.org_id, q.unit_id limit 1) n
    ),
    units as materialized (
      select org_id, unit_id, row_number() over (order by part, org_id, unit_id)::int as ord from (
        (select 0 as part, org_id, unit_id from after_cursor limit ${o.maxUnits})
        union all
        (select 1, org_id, unit_id from up_to_cursor limit ${o.maxUnits})
      ) u order by part, org_id, unit_id limit ${o.maxUnits}
    ),
    -- Round 1: an equal share for every OU (all of the pass for a lone OU), capped by the share cap.
    share as (
      select count(*)::int as units,
             case when count(*) > 1 then least(ceil(${o.limit}::numeric / count(*))::int, ${o.perUnitWhenShared}::int) else ${o.limit}::int end as per_unit
      from units
    ),
    open_units as materialized (select * from units where ${tryLockUnitShared(sql.ref('units.unit_id'))}),
    round1 as materialized (
      select u.ord, c.* from open_units u cross join share s cross join lateral (
        select q.org_id, q.unit_id, q.lead_id, q.lane, q.seq from scoring_queue q
        where q.org_id = u.org_id and q.unit_id = u.unit_id and (q.retry_at is null or q.retry_at <= now())
        order by q.lane, q.seq limit s.per_unit
        for update skip locked
      ) c
    ),
    -- Round 2: what the OUs with less than their share left over goes to the OUs that filled theirs.
    filled as (
      select r.ord, r.org_id, r.unit_id, max(array[r.lane, r.seq]) as last from round1 r
      group by r.ord, r.org_id, r.unit_id having count(*) = (select per_unit from share)
    ),
    leftover as (
      select ${o.limit}::int - (select count(*) from round1)::int as n, (select count(*) from filled)::int as units,
             ${o.perUnitWhenShared}::int - (select per_unit from share) as room
    ),
    round2 as materialized (
      select f.ord, c.* from filled f cross join leftover l cross join lateral (
        select q.org_id, q.unit_id, q.lead_id, q.lane, q.seq from scoring_queue q
        where q.org_id = f.org_id and q.unit_id = f.unit_id and (q.retry_at is null or q.retry_at <= now())
          and (q.lane, q.seq) > (f.last[1]::smallint, f.last[2])
        order by q.lane, q.seq limit greatest(0, least(ceil(l.n::numeric / greatest(l.units, 1))::int, l.room))
        for update skip locked
      ) c
      where l.n > 0
    ),
    candidates as (
      select ord, org_id, unit_id, lead_id, lane, row_number() over (partition by ord order by lane, seq) as rn
      from (select * from round1 union all select * from round2) c
    ),
    chosen as (select * from candidates order by lane, rn, ord limit ${o.limit}),
    held as (
      select org_id, unit_id, lead_id, count(*) as quota, min(ord) as ord from chosen group by org_id, unit_id, lead_id
    )
    select org_id::text as org_id, unit_id::text as unit_id, lead_id, quota::int as quota, ord::int as ord
    from held where ${tryLockLeadForScoring(sql.ref('held.unit_id'), sql.ref('held.lead_id'))}`.execute(db);
  return rows;
}

/** Statement 2 of claim(): the held leads' backlogs in ingestion order (see claim()). */
async function backlogOf(db: Db, held: HeldLead[]): Promise<ClaimedEvent[]> {
  // json_to_recordset, not unnest: the generic plan of unnest($1) expects 10 rows and then joined
  // backlog and locked by a nested loop (1000 × 1000 comparisons, 14× slower).
  const { rows } = await sql<ClaimRow>`${sql.raw(preparedStatement('score_claim'))}
    with held as materialized (
      select * from json_to_recordset(${JSON.stringify(held)}::json) as h(org_id uuid, unit_id uuid, lead_id text, quota int)
    ),
    backlog as materialized (
      select q.row_id, q.org_id, q.event_id, q.seq from held k cross join lateral (
        select ctid as row_id, org_id, event_id, seq from scoring_queue q
        where q.org_id = k.org_id and q.unit_id = k.unit_id and q.lead_id = k.lead_id
        order by q.seq limit k.quota
      ) q
    ),
    -- Each backlog row locked by its row id (a TID scan): no index to choose. A semi-join planned
    -- from a queue analyzed while empty scanned the whole queue per row, and so did a key probe whose
    -- generic plan tied the primary key with the lead index and took the latter on org_id alone
    -- (bench/README.md, issue 11 session 5 and issue 12 session 6).
    locked as materialized (
      select q.row_id, q.org_id, q.event_id, q.attempts, coalesce(q.retry_at > now(), false) as delayed from backlog b cross join lateral (
        select ctid as row_id, org_id, event_id, attempts, retry_at from scoring_queue q
        where q.ctid = b.row_id and q.org_id = b.org_id and q.event_id = b.event_id
        for update skip locked
      ) q
    )
    select e.*, l.attempts::int as attempts, coalesce(l.delayed, true) as delayed, l.row_id::text as queue_row
    from backlog b left join locked l on l.org_id = b.org_id and l.event_id = b.event_id
    cross join lateral (
      select id, seq, org_id, unit_id, lead_id, event_type, channel, occurred_at, received_at, normalized, normalized_parent,
             decay_id, decay_decrease
      from events where org_id = b.org_id and id = b.event_id limit 1
    ) e
    order by b.seq`.execute(db);
  const blocked = new Set<string>();
  const claimed: ClaimedEvent[] = [];
  for (const { delayed, ...event } of rows) {
    const key = `${event.unit_id}:${event.lead_id}`;
    if (delayed) blocked.add(key);
    if (!blocked.has(key)) claimed.push(event);
  }
  return claimed;
}

/** A lead's total under one ruleset, as the pass starts. */
export interface LeadScoreRow {
  unit_id: string;
  lead_id: string;
  ruleset_id: string;
  total_score: number;
}

/** A lead's session and activity state, as the pass starts. */
export interface LeadStateRow {
  unit_id: string;
  lead_id: string;
  session_events: number;
  session_last_at: Date | null;
  last_engaged_at: Date | null;
  last_event_at: Date | null;
  last_event_type: string | null;
}

/** One row of `leadRows`: a score row (`s`) or a state row (`t`). */
type LeadRow = Omit<LeadScoreRow, 'ruleset_id' | 'total_score'> &
  Omit<LeadStateRow, 'session_events'> & { part: 's' | 't'; ruleset_id: string | null; total_score: number | null; session_events: number | null };

/** The worker's SQL: claiming, per-unit configuration, per-lead state and the batched writes. */
export function createWorkerRepository(db: Db) {
  return {
    /**
     * Claims a fair batch in two statements (docs/scoring.md, "Fair claiming"):
     * 1. the OUs with a backlog (a skip scan over scoring_queue_unit: one index probe per OU, in
     *    (org, unit) order from the cursor on, wrapping round), up to `maxUnits`; then each OU's next
     *    events, live lane first, in ingestion order, up to its share; the events are then taken in
     *    rounds (each OU's first, then each OU's second, ...) up to `limit`, so an OU with one event
     *    is served in this pass whatever the others' backlogs, and a lone OU gets the whole pass.
     *    The OU lock (shared) and each lead's lock are tried as the rows are read
     *    (src/db/locks.ts): a lead or OU held by another pass, a delete or a rescore is skipped,
     *    never waited for, so passes spread over the backlog and never deadlock;
     * 2. the held leads' queued events in ingestion order, up to the number of that lead's events
     *    statement 1 chose (its quota), read in a second statement whose snapshot is taken after
     *    the locks (a rescore that just released a lead is seen). A lead's run stops at an event
     *    that waits for a retry after a failure: its later events wait too (ingestion order).
     */
    async claim(options: ClaimOptions): Promise<Claim> {
      const held = await claimLeads(db, options);
      if (held.length === 0) return { events: [], cursor: options.cursor };
      const last = held.reduce((a, b) => (b.ord > a.ord ? b : a));
      return { events: await backlogOf(db, held), cursor: { org_id: last.org_id, unit_id: last.unit_id } };
    },

    /**
     * The OU's scoring configuration in one statement (one round trip per OU and pass, where seven
     * reads were 1.7 % of the database time under load; bench/README.md, issue 11).
     */
    async unitConfig(unitId: string): Promise<UnitConfig | null> {
      const { rows } = await sql<UnitConfigRow>`${sql.raw(preparedStatement('score_unit_config'))}
        select u.org_id, o.allow_negative_scores,
          (select coalesce(json_agg(json_build_object('id', r.id, 'name', r.name, 'is_primary', r.is_primary) order by r.created_at, r.id), '[]')
             from rulesets r where r.org_id = u.org_id and r.unit_id = u.id) as rulesets,
          (select coalesce(json_agg(json_build_object('id', x.id, 'ruleset_id', x.ruleset_id, 'event_type', x.event_type, 'weight', x.weight,
                    'active', x.active, 'start_at', x.start_at, 'end_at', x.end_at) order by x.created_at, x.id), '[]')
             from scoring_rules x where x.org_id = u.org_id and x.unit_id = u.id) as rules,
          (select coalesce(json_agg(json_build_object('event_type', f.event_type, 'count_threshold', f.count_threshold,
                    'time_window_ms', f.time_window_ms, 'group_events', f.group_events)), '[]')
             from inorganic_filters f where f.org_id = u.org_id and f.unit_id = u.id) as filters,
          (select coalesce(json_agg(json_build_object('name', l.name, 'min_score', l.min_score, 'max_score', l.max_score) order by l.min_score), '[]')
             from levels l where l.org_id = u.org_id and l.unit_id = u.id and l.kind = 'engagement') as levels,
          (select json_build_object('mode', p.mode, 'bands', p.bands, 'idle_reset_seconds', p.idle_reset_seconds, 'multiplier_cap', p.multiplier_cap)
             from surge_policies p where p.org_id = u.org_id and p.unit_id = u.id) as surge,
          (select coalesce(json_agg(t.event_type), '[]')
             from event_type_settings t where t.org_id = u.org_id and t.unit_id = u.id and t.max_processing_scope = 'observe') as observe_types
        from org_units u join organizations o on o.id = u.org_id
        where u.id = ${unitId}`.execute(db);
      const row = rows[0];
      if (!row) return null;
      const date = (v: string | null) => (v === null ? null : new Date(v));
      return {
        orgId: row.org_id,
        allowNegative: row.allow_negative_scores,
        rulesets: row.rulesets,
        rules: row.rules.map((r) => ({ ...r, start_at: date(r.start_at), end_at: date(r.end_at) })),
        filters: row.filters,
        levels: row.levels,
        surge: row.surge ?? STANDARD_POLICY,
        observeTypes: new Set(row.observe_types),
      };
    },

    /**
     * The leads' score rows and scoring state, in one statement: one probe of each primary key per
     * lead (`offset 0` keeps the nested loop). With `= any` filters instead, a table without fresh
     * statistics was planned as a scan of the org's whole key range, filtered in memory: 8–9 ms per
     * pass at 10k leads, growing with the OU (bench/README.md, issue 12).
     */
    async leadRows(leads: LeadKey[]): Promise<{ scores: LeadScoreRow[]; states: LeadStateRow[] }> {
      const { rows } = await sql<LeadRow>`${sql.raw(preparedStatement('score_lead_rows'))}
        with k as materialized (
          select * from unnest(${leads.map((l) => l.org_id)}::uuid[], ${leads.map((l) => l.unit_id)}::uuid[], ${leads.map((l) => l.lead_id)}::text[])
            as k(org_id, unit_id, lead_id)
        )
        select 's' as part, k.unit_id::text as unit_id, k.lead_id, s.ruleset_id::text as ruleset_id, s.total_score, null::int as session_events,
               null::timestamptz as session_last_at, null::timestamptz as last_engaged_at, null::timestamptz as last_event_at, null::text as last_event_type
          from k cross join lateral (
            select ruleset_id, total_score from lead_scores s
             where s.org_id = k.org_id and s.unit_id = k.unit_id and s.lead_id = k.lead_id offset 0
          ) s
        union all
        select 't', k.unit_id::text, k.lead_id, null, null, t.session_events, t.session_last_at, t.last_engaged_at, t.last_event_at, t.last_event_type
          from k cross join lateral (
            select * from lead_scoring_state t
             where t.org_id = k.org_id and t.unit_id = k.unit_id and t.lead_id = k.lead_id offset 0
          ) t`.execute(db);
      const scores: LeadScoreRow[] = [];
      const states: LeadStateRow[] = [];
      for (const { part, ruleset_id, total_score, ...state } of rows) {
        if (part === 's') scores.push({ unit_id: state.unit_id, lead_id: state.lead_id, ruleset_id: ruleset_id as string, total_score: total_score as number });
        else states.push({ ...state, session_events: state.session_events as number });
      }
      return { scores, states };
    },

    /**
     * For each probe (an event and a filter window), the events of that type the lead had before it
     * (lower seq) in [from, event time]: their count and the burst's first event. One query per batch.
     */
    async bursts(probes: Array<{ key: number; event: ClaimedEvent; from: Date }>) {
      if (probes.length === 0) return new Map<number, { n: number; first_id: string | null; first_root: string | null }>();
      const input = probes.map((p) => ({
        key: p.key,
        org_id: p.event.org_id,
        unit_id: p.event.unit_id,
        lead_id: p.event.lead_id,
        event_type: p.event.event_type,
        seq: p.event.seq,
        from_at: p.from.toISOString(),
        to_at: p.event.occurred_at.toISOString(),
      }));
      const { rows } = await sql<{ key: number; n: number; first_id: string | null; first_root: string | null }>`${sql.raw(preparedStatement('score_bursts'))}
        select x.key, b.n, b.first_id,
               (select o.burst_root::text from event_outcomes o where o.org_id = x.org_id and o.event_id = b.first_id::uuid) as first_root
        from json_to_recordset(${JSON.stringify(input)}::json)
          as x(key int, org_id uuid, unit_id uuid, lead_id text, event_type text, seq bigint, from_at timestamptz, to_at timestamptz)
        cross join lateral (
          select count(*)::int as n,
                 (array_agg(e.id::text order by e.occurred_at, e.seq))[1] as first_id
          from events e
          -- "|| ''" keeps the planner on the (unit, lead, time) index: the (unit, type, time) one would
          -- walk every lead's events of that type in the window.
          where e.org_id = x.org_id and e.unit_id = x.unit_id and e.lead_id = x.lead_id and (e.event_type || '') = x.event_type
            and e.seq < x.seq and e.occurred_at >= x.from_at and e.occurred_at <= x.to_at
            and not (e.normalized and not e.normalized_parent)
        ) b`.execute(db);
      return new Map(rows.map((r) => [r.key, r]));
    },

    /**
     * Every write of a scoring pass in one statement (one round trip, one plan): event scores
     * (score_history is a view of them), lead totals, lead session state, the events' outcome rows
     * (scored_at, metadata patch, burst root: migrations/0071), and their scoring_queue rows deleted.
     * Each table's rows travel as one json parameter,
     * not ~18 binds per row (json, not jsonb: it is read once). Answers how many events were both
     * marked scored and taken off the queue.
     */
    async writeScores(w: ScoreWrites): Promise<number> {
      const { rows } = await sql<{ marked: number; dequeued: number }>`${sql.raw(preparedStatement('score_write'))}
        with event_scores_in as (
          insert into event_scores (event_id, ruleset_id, org_id, unit_id, lead_id, event_type, rules, base, multiplier, delta,
                                    score_before, score_after, inorganic, surged, session_events, decay_id, occurred_at)
          select event_id, ruleset_id, org_id, unit_id, lead_id, event_type, rules, base, multiplier, delta,
                 score_before, score_after, inorganic, surged, session_events, decay_id, occurred_at
          from json_to_recordset(${JSON.stringify(w.eventScores)}::json) as x(event_id uuid, ruleset_id uuid, org_id uuid, unit_id uuid,
            lead_id text, event_type text, rules jsonb, base int, multiplier numeric, delta int, score_before int, score_after int,
            inorganic boolean, surged boolean, session_events int, decay_id uuid, occurred_at timestamptz)
        ),
        scores_in as (
          insert into lead_scores as s (org_id, unit_id, lead_id, ruleset_id, total_score, level, last_event_at)
          select org_id, unit_id, lead_id, ruleset_id, total_score, level, last_event_at
          from json_to_recordset(${JSON.stringify(w.leadScores)}::json) as x(org_id uuid, unit_id uuid, lead_id text, ruleset_id uuid,
            total_score int, level text, last_event_at timestamptz)
          on conflict (org_id, unit_id, lead_id, ruleset_id) do update set
            total_score = excluded.total_score,
            level = excluded.level,
            -- A DECAY event carries no activity time: keep the stored one.
            last_event_at = coalesce(excluded.last_event_at, s.last_event_at),
            updated_at = now()
        ),
        states_in as (
          insert into lead_scoring_state (org_id, unit_id, lead_id, session_events, session_last_at, last_engaged_at, last_event_at, last_event_type)
          select org_id, unit_id, lead_id, session_events, session_last_at, last_engaged_at, last_event_at, last_event_type
          from json_to_recordset(${JSON.stringify(w.states)}::json) as x(org_id uuid, unit_id uuid, lead_id text, session_events int,
            session_last_at timestamptz, last_engaged_at timestamptz, last_event_at timestamptz, last_event_type text)
          on conflict (org_id, unit_id, lead_id) do update set
            session_events = excluded.session_events,
            session_last_at = excluded.session_last_at,
            last_engaged_at = excluded.last_engaged_at,
            last_event_at = excluded.last_event_at,
            last_event_type = excluded.last_event_type
        ),
        patches_in as materialized (
          select * from json_to_recordset(${JSON.stringify(w.patches)}::json) as x(org_id uuid, id uuid, patch jsonb, burst_root uuid, queue_row tid)
        ),
        -- events stays insert-only: the outcome is a row of its own (migrations/0071).
        marked as (
          insert into event_outcomes (org_id, event_id, patch, burst_root)
          select org_id, id, patch, burst_root from patches_in
          on conflict (org_id, event_id) do nothing
          returning 1
        ),
        -- The queue rows by the row ids the claim locked (a TID scan, see ClaimedEvent.queue_row): a
        -- delete joined to patches_in, or probing a key, was planned from the queue's statistics and,
        -- with a queue analyzed while empty, scanned the whole queue per event (issue 11 session 5).
        dequeued as (
          delete from scoring_queue q
          where q.ctid = any(array(select queue_row from patches_in))
          returning 1
        )
        select (select count(*) from marked)::int as marked, (select count(*) from dequeued)::int as dequeued`.execute(db);
      return Math.min(rows[0]?.marked ?? 0, rows[0]?.dequeued ?? 0);
    },
    /**
     * Gives `events` planner statistics when PostgreSQL has never gathered any (a fresh database
     * just bulk-loaded, before autovacuum's first pass). Answers whether it analyzed.
     */
    async analyzeEventsIfNeverAnalyzed(): Promise<boolean> {
      const { rows } = await sql<{ reltuples: number }>`select reltuples::float8 as reltuples from pg_class where oid = 'events'::regclass`.execute(db);
      if ((rows[0]?.reltuples ?? 0) >= 0) return false;
      await sql`analyze events`.execute(db);
      return true;
    },

    /**
     * Records a failed attempt of an event (in the pass's transaction, after its savepoint was rolled
     * back): it is not claimed again before `retryInMs`, and its lead's later events wait behind it.
     */
    async recordFailure(event: { org_id: string; id: string }, attempts: number, retryInMs: number): Promise<void> {
      await sql`
        update scoring_queue set attempts = ${attempts}, retry_at = now() + ${retryInMs} * interval '1 millisecond'
        where org_id = ${event.org_id} and event_id = ${event.id}`.execute(db);
    },

    /**
     * Sets a poison event aside in the pass's transaction: off the queue, an outcome row without
     * scores (so `scored_at` is set) whose patch carries `scoring_error` = the code, and listed in
     * scoring_set_aside for the OU's admins.
     */
    async setAside(event: { org_id: string; id: string }, code: string, attempts: number): Promise<void> {
      await sql`
        with gone as (
          delete from scoring_queue where org_id = ${event.org_id} and event_id = ${event.id}
          returning org_id, event_id, unit_id, lead_id
        ),
        marked as (
          insert into event_outcomes (org_id, event_id, patch)
          values (${event.org_id}, ${event.id}, ${JSON.stringify({ scoring_error: code })}::jsonb)
          on conflict (org_id, event_id) do nothing
        )
        insert into scoring_set_aside (org_id, event_id, unit_id, lead_id, error, attempts)
        select org_id, event_id, unit_id, lead_id, ${code}, ${attempts} from gone
        on conflict (org_id, event_id) do update set error = excluded.error, attempts = excluded.attempts, set_aside_at = now()`.execute(db);
    },

    /**
     * Claims the next `limit` queued events of one lead (a replay after a rescore or merge,
     * lead-replay.ts), waiting where claim() tries: the lead's locks (lockLeads: the OU's shared,
     * then the lead's), then its next queue rows (another pass's claim locks the rows of leads it then
     * skips, for the length of its pass). A replay queued on the lead's lock makes the loops' tries
     * fail, so they leave the lead to it; it holds nothing another pass or a lock holder waits for
     * (docs/concurrency.md). Then its backlog as claim()'s statement 2 reads it: empty when nothing
     * is queued or the next event waits for a retry.
     */
    async claimLead(lead: LeadKey, limit: number): Promise<ClaimedEvent[]> {
      await lockLeads(db, lead.unit_id, [lead.lead_id]);
      await sql`select 1 from scoring_queue where org_id = ${lead.org_id} and unit_id = ${lead.unit_id} and lead_id = ${lead.lead_id}
                order by seq limit ${limit} for update`.execute(db);
      return backlogOf(db, [{ ...lead, quota: limit, ord: 1 }]);
    },

    /** Events waiting to be scored, all OUs (the queue_depth gauge). */
    async queueDepth(): Promise<number> {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from scoring_queue`.execute(db);
      return rows[0]?.n ?? 0;
    },
  };
}

export type WorkerRepository = ReturnType<typeof createWorkerRepository>;
