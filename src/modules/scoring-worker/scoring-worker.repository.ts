import { sql, type Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import { tryLockLeadForScoring } from '../../db/locks.js';
import { preparedStatement } from '../../db/prepared-pool.js';
import type { EventScoresTable, JsonValue, LeadScoresTable, LeadScoringStateTable } from '../../db/types.js';
import type { SurgeBand, SurgePolicy } from '../scoring/surge.js';
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
  patches: Array<{ org_id: string; id: string; patch: Record<string, JsonValue>; burst_root: string | null }>;
}

/** A backlog row of the claim: the event when this pass row-locked it, all nulls when another transaction holds it. */
type ClaimRow = { backlog_unit: string; backlog_lead: string } & (ClaimedEvent | { [K in keyof ClaimedEvent]: null });

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

function leadArrays(leads: LeadKey[]) {
  return {
    orgs: [...new Set(leads.map((l) => l.org_id))],
    units: [...new Set(leads.map((l) => l.unit_id))],
    ids: leads.map((l) => l.lead_id),
  };
}

/** The worker's SQL: claiming, per-unit configuration, per-lead state and the batched writes. */
export function createWorkerRepository(db: Db) {
  return {
    /**
     * Claims a batch in two statements:
     * 1. the oldest unscored events not row-locked by another transaction (FOR UPDATE SKIP LOCKED)
     *    name the candidate leads, whose OU lock (shared) and lead lock are tried (src/db/locks.ts);
     *    only their holder may score that lead's events. A lead or OU locked by another worker, a
     *    delete or a rescore is left to its holder: the worker never waits, so it is never part of
     *    a deadlock;
     * 2. the held leads' unscored backlog is read in ingestion order and row-locked with SKIP
     *    LOCKED. A row another transaction still holds ends that lead's run: its later events
     *    wait, so each lead is scored strictly in seq order. This is a second statement so that
     *    its snapshot is taken after the locks: a rescore that released a lead's lock just before
     *    the worker took it has committed, and the events it marked unscored are in the backlog
     *    (one statement would read the backlog as it was before that rescore and score the lead's
     *    newer events first).
     */
    async claim(limit: number): Promise<ClaimedEvent[]> {
      const { rows: held } = await sql<LeadKey>`${sql.raw(preparedStatement('score_claim_leads'))}
        with candidates as materialized (
          select org_id, unit_id, lead_id, seq from events where scored_at is null order by seq limit ${limit} for update skip locked
        )
        select org_id::text as org_id, unit_id::text as unit_id, lead_id from (select distinct org_id, unit_id, lead_id from candidates) c
        where ${tryLockLeadForScoring(sql.ref('c.unit_id'), sql.ref('c.lead_id'))}`.execute(db);
      if (held.length === 0) return [];
      // json_to_recordset, not unnest: the generic plan of unnest($1) expects 10 rows and then joined
      // backlog and locked by a nested loop (1000 × 1000 comparisons, 14× slower).
      const { rows } = await sql<ClaimRow>`${sql.raw(preparedStatement('score_claim'))}
        with held as materialized (
          select * from json_to_recordset(${JSON.stringify(held)}::json) as h(org_id uuid, unit_id uuid, lead_id text)
        ),
        backlog as materialized (
          select e.id, e.seq, e.org_id, e.unit_id, e.lead_id from held k
          cross join lateral (
            select id, seq, org_id, unit_id, lead_id from events
            where org_id = k.org_id and unit_id = k.unit_id and lead_id = k.lead_id and scored_at is null
            order by seq limit ${limit}
          ) e
          order by e.seq limit ${limit}
        ),
        locked as materialized (
          select id, seq, org_id, unit_id, lead_id, event_type, channel, occurred_at, received_at, normalized, normalized_parent,
                 decay_id, decay_decrease
          from events where (org_id, id) in (select org_id, id from backlog) and scored_at is null
          order by seq for update skip locked
        )
        select b.unit_id::text as backlog_unit, b.lead_id as backlog_lead, l.*
        from backlog b left join locked l on l.id = b.id
        order by b.seq`.execute(db);
      const blocked = new Set<string>();
      const claimed: ClaimedEvent[] = [];
      for (const r of rows) {
        const key = `${r.backlog_unit}:${r.backlog_lead}`;
        if (blocked.has(key)) continue;
        if (r.id === null) {
          blocked.add(key);
          continue;
        }
        const { backlog_unit: _unit, backlog_lead: _lead, ...event } = r;
        claimed.push(event);
      }
      return claimed;
    },

    async unitConfig(unitId: string): Promise<UnitConfig | null> {
      const unit = await db
        .selectFrom('org_units as u')
        .innerJoin('organizations as o', 'o.id', 'u.org_id')
        .select(['u.org_id', 'o.allow_negative_scores'])
        .where('u.id', '=', unitId)
        .executeTakeFirst();
      if (!unit) return null;
      const orgId = unit.org_id;
      const [rulesets, rules, filters, levels, surge, settings] = await Promise.all([
        db.selectFrom('rulesets').select(['id', 'name', 'is_primary']).where('org_id', '=', orgId).where('unit_id', '=', unitId).orderBy('created_at').orderBy('id').execute(),
        db
          .selectFrom('scoring_rules')
          .select(['id', 'ruleset_id', 'event_type', 'weight', 'active', 'start_at', 'end_at'])
          .where('org_id', '=', orgId).where('unit_id', '=', unitId)
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
        db.selectFrom('inorganic_filters').select(['event_type', 'count_threshold', 'time_window_ms', 'group_events']).where('org_id', '=', orgId).where('unit_id', '=', unitId).execute(),
        db.selectFrom('levels').select(['name', 'min_score', 'max_score']).where('org_id', '=', orgId).where('unit_id', '=', unitId).where('kind', '=', 'engagement').orderBy('min_score').execute(),
        db.selectFrom('surge_policies').selectAll().where('org_id', '=', orgId).where('unit_id', '=', unitId).executeTakeFirst(),
        db.selectFrom('event_type_settings').select('event_type').where('org_id', '=', orgId).where('unit_id', '=', unitId).where('max_processing_scope', '=', 'observe').execute(),
      ]);
      return {
        orgId: unit.org_id,
        allowNegative: unit.allow_negative_scores,
        rulesets,
        rules,
        filters,
        levels,
        surge: surge
          ? { mode: surge.mode, bands: surge.bands as unknown as SurgeBand[], idle_reset_seconds: surge.idle_reset_seconds, multiplier_cap: surge.multiplier_cap }
          : STANDARD_POLICY,
        observeTypes: new Set(settings.map((s) => s.event_type)),
      };
    },

    /** Score rows of the leads; `= any` on the key columns lets the primary key index serve it. */
    async leadScores(leads: LeadKey[]) {
      const { orgs, units, ids } = leadArrays(leads);
      const wanted = new Set(leads.map((l) => `${l.unit_id}:${l.lead_id}`));
      const rows = await db
        .selectFrom('lead_scores')
        .select(['unit_id', 'lead_id', 'ruleset_id', 'total_score'])
        .where('org_id', '=', sql<string>`any(${orgs}::uuid[])`)
        .where('unit_id', '=', sql<string>`any(${units}::uuid[])`)
        .where('lead_id', '=', sql<string>`any(${ids}::text[])`)
        .execute();
      return rows.filter((r) => wanted.has(`${r.unit_id}:${r.lead_id}`));
    },

    async leadStates(leads: LeadKey[]) {
      const { orgs, units, ids } = leadArrays(leads);
      const wanted = new Set(leads.map((l) => `${l.unit_id}:${l.lead_id}`));
      const rows = await db
        .selectFrom('lead_scoring_state')
        .select(['unit_id', 'lead_id', 'session_events', 'session_last_at', 'last_engaged_at', 'last_event_at', 'last_event_type'])
        .where('org_id', '=', sql<string>`any(${orgs}::uuid[])`)
        .where('unit_id', '=', sql<string>`any(${units}::uuid[])`)
        .where('lead_id', '=', sql<string>`any(${ids}::text[])`)
        .execute();
      return rows.filter((r) => wanted.has(`${r.unit_id}:${r.lead_id}`));
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
        select x.key, b.n, b.first_id, b.first_root
        from json_to_recordset(${JSON.stringify(input)}::json)
          as x(key int, org_id uuid, unit_id uuid, lead_id text, event_type text, seq bigint, from_at timestamptz, to_at timestamptz)
        cross join lateral (
          select count(*)::int as n,
                 (array_agg(e.id::text order by e.occurred_at, e.seq))[1] as first_id,
                 (array_agg(e.burst_root::text order by e.occurred_at, e.seq))[1] as first_root
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
     * (score_history is a view of them), lead totals, lead session state, and the events marked scored with their metadata
     * patches. Each table's rows travel as one json parameter, not ~18 binds per row (json, not
     * jsonb: it is read once). Answers how many events were marked scored.
     */
    async writeScores(w: ScoreWrites): Promise<number> {
      const { rows } = await sql<{ marked: number }>`${sql.raw(preparedStatement('score_write'))}
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
        marked as (
          update events e set scored_at = now(), metadata = e.metadata || x.patch, burst_root = x.burst_root
          from json_to_recordset(${JSON.stringify(w.patches)}::json) as x(org_id uuid, id uuid, patch jsonb, burst_root uuid)
          where e.org_id = x.org_id and e.id = x.id and e.scored_at is null
          returning 1
        )
        select count(*)::int as marked from marked`.execute(db);
      return rows[0]?.marked ?? 0;
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

    /** Takes a repeatedly failing event out of the queue without scores, recording an error code. */
    async setAside(event: { org_id: string; id: string }, code: string): Promise<void> {
      await sql`
        update events set scored_at = now(), metadata = metadata || ${JSON.stringify({ scoring_error: code })}::jsonb
        where org_id = ${event.org_id} and id = ${event.id} and scored_at is null`.execute(db);
    },
  };
}

export type WorkerRepository = ReturnType<typeof createWorkerRepository>;
