import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { preparedStatement } from '../../db/prepared-pool.js';
import type { AliasKind } from '../../db/schema/events.js';
import { INGESTED_CHANNEL, type ScoringLane } from '../scoring-worker/scoring-queue.js';

/**
 * SQLSTATE of a write that lost a race (migrations/0004): a concurrent transaction created one of
 * its new aliases or message ids first. Look up again and retry.
 */
export const WRITE_RACE = 'LV001';

/** How far merged_into chains are followed; merges never build longer ones, this only stops a cycle. */
const MAX_MERGE_DEPTH = 16;

export type ProcessingScope = 'observe' | 'decide' | 'activate';

export interface AliasRow {
  unit_id: string;
  kind: AliasKind;
  value: string;
  lead_id: string;
}

export interface EventTypeSetting {
  org_id: string;
  unit_id: string;
  event_type: string;
  max_processing_scope: ProcessingScope;
  canonical_type: string | null;
}

/** What a batch needs to know before it writes, read in one statement; org_id leads every key probed. */
export interface LookupInput {
  aliases: { org_id: string[]; unit_id: string[]; kind: string[]; value: string[] };
  settings: { org_id: string[]; unit_id: string[]; event_type: string[] };
  leads: { org_id: string[]; unit_id: string[]; id: string[] };
  messages: { org_id: string[]; unit_id: string[]; message_id: string[] };
}

export interface LookupResult {
  /** Owner of each known alias, with the owner's merged_into (null for a surviving lead). */
  aliases: Array<AliasRow & { org_id: string; merged_into: string | null }>;
  settings: EventTypeSetting[];
  /** Leads named by lead_id that exist in their org and OU. */
  leads: Array<{ org_id: string; unit_id: string; id: string; merged_into: string | null }>;
  /** Message ids stored in the last 7 days, with the event and lead they were stored as. */
  messages: Array<{ unit_id: string; message_id: string; event_id: string; lead_id: string }>;
}

/** Rows of ingest_messages a write records, one element per message. */
export interface MessageColumns {
  org_id: string[];
  unit_id: string[];
  message_id: string[];
  event_id: string[];
  lead_id: string[];
}

/** How long a message id makes a repeat a duplicate (semantics §2). */
export const MESSAGE_ID_WINDOW = '7 days';

/** Column arrays of a set-based events insert, one element per row, in ingestion order. */
export interface EventColumns {
  id: string[];
  org_id: string[];
  unit_id: string[];
  lead_id: string[];
  event_type: string[];
  channel: string[];
  metadata: string[];
  occurred_at: string[];
  received_at: string[];
  normalized: boolean[];
  normalized_parent: boolean[];
  raw_event_id: Array<string | null>;
  /** True when the row is stored already "scored": never picked up by the scoring worker. */
  skip_scoring: boolean[];
}

export interface WriteInput {
  leads: { org_id: string[]; unit_id: string[]; id: string[] };
  /** Sorted by (unit_id, kind, value), so concurrent batches lock alias keys in one order. */
  aliases: Array<AliasRow & { org_id: string }>;
  events: EventColumns;
  messages: MessageColumns;
  /** OUs whose scoring worker is woken (NOTIFY on INGESTED_CHANNEL, delivered at commit). */
  wakeUnits: string[];
  /** The scoring-queue lane of the events to score (live traffic, or a bulk import that yields to it). */
  lane: ScoringLane;
}


type LookupRow =
  | { t: 'a'; org_id: string; unit_id: string; a: string; b: string; c: string | null; d: string | null }
  | { t: 's'; org_id: string; unit_id: string; a: string; b: string; c: string | null; d: string | null }
  | { t: 'l'; org_id: string; unit_id: string; a: string; b: string | null; c: string | null; d: string | null }
  | { t: 'm'; org_id: string; unit_id: string; a: string; b: string; c: string; d: string | null };

/**
 * Identity resolution and event writes, all set-based (FROM unnest(…)) so a batch of any size
 * costs a fixed number of statements: one lookup and one write in the common case. Every array
 * carries the OU of each row, so one batch may mix tenants. Probes are LATERAL subqueries with
 * LIMIT 1 (which keeps the planner from flattening them into a join), so each input row is an
 * index probe whatever the planner statistics say: on a freshly loaded
 * table a plain join was planned as a hash join over a sequential scan of lead_aliases.
 */
export function createIngestRepository(db: Db) {
  return {
    async lookup(input: LookupInput): Promise<LookupResult> {
      const { aliases: a, settings: s, leads: l, messages: m } = input;
      const { rows } = await sql<LookupRow>`${sql.raw(preparedStatement('ingest_lookup'))}
        select 'a' as t, i.org_id::text as org_id, i.unit_id::text as unit_id, i.kind as a, i.value as b, al.lead_id as c,
               le.merged_into as d
        from unnest(${a.org_id}::uuid[], ${a.unit_id}::uuid[], ${a.kind}::text[], ${a.value}::text[]) as i(org_id, unit_id, kind, value)
        cross join lateral (
          select lead_id from lead_aliases
          where org_id = i.org_id and unit_id = i.unit_id and kind = i.kind and value = i.value limit 1
        ) al
        cross join lateral (
          select merged_into from leads where org_id = i.org_id and unit_id = i.unit_id and id = al.lead_id limit 1
        ) le
        union all
        select 's', i.org_id::text, i.unit_id::text, i.event_type, st.max_processing_scope, st.canonical_type, null
        from unnest(${s.org_id}::uuid[], ${s.unit_id}::uuid[], ${s.event_type}::text[]) as i(org_id, unit_id, event_type)
        cross join lateral (
          select max_processing_scope, canonical_type from event_type_settings
          where org_id = i.org_id and unit_id = i.unit_id and event_type = i.event_type limit 1
        ) st
        union all
        select 'l', i.org_id::text, i.unit_id::text, i.id, le.merged_into, null, null
        from unnest(${l.org_id}::uuid[], ${l.unit_id}::uuid[], ${l.id}::text[]) as i(org_id, unit_id, id)
        cross join lateral (
          select merged_into from leads where org_id = i.org_id and unit_id = i.unit_id and id = i.id limit 1
        ) le
        union all
        select 'm', i.org_id::text, i.unit_id::text, i.message_id, im.event_id::text, im.lead_id, null
        from unnest(${m.org_id}::uuid[], ${m.unit_id}::uuid[], ${m.message_id}::text[]) as i(org_id, unit_id, message_id)
        cross join lateral (
          select event_id, lead_id from ingest_messages
          where org_id = i.org_id and unit_id = i.unit_id and message_id = i.message_id
            and created_at > now() - ${MESSAGE_ID_WINDOW}::interval
          limit 1
        ) im`.execute(db);
      const result: LookupResult = { aliases: [], settings: [], leads: [], messages: [] };
      for (const r of rows) {
        const { org_id, unit_id } = r;
        if (r.t === 'a') result.aliases.push({ org_id, unit_id, kind: r.a as AliasKind, value: r.b, lead_id: r.c as string, merged_into: r.d });
        else if (r.t === 's') {
          result.settings.push({ org_id, unit_id, event_type: r.a, max_processing_scope: r.b as ProcessingScope, canonical_type: r.c });
        } else if (r.t === 'l') result.leads.push({ org_id, unit_id, id: r.a, merged_into: r.b });
        else result.messages.push({ unit_id, message_id: r.a, event_id: r.b, lead_id: r.c });
      }
      return result;
    },

    async findSettings(orgIds: string[], unitIds: string[], eventTypes: string[]): Promise<EventTypeSetting[]> {
      const { rows } = await sql<EventTypeSetting>`
        select s.org_id::text as org_id, s.unit_id::text as unit_id, s.event_type, s.max_processing_scope, s.canonical_type
        from event_type_settings s
        join unnest(${orgIds}::uuid[], ${unitIds}::uuid[], ${eventTypes}::text[]) as i(org_id, unit_id, event_type)
          on s.org_id = i.org_id and s.unit_id = i.unit_id and s.event_type = i.event_type`.execute(db);
      return rows;
    },

    /** The surviving lead of each (unit, id), following merged_into chains; keyed `${unit}\0${id}`. */
    async findSurvivors(orgIds: string[], unitIds: string[], ids: string[]): Promise<Map<string, string>> {
      const survivors = new Map<string, string>();
      let pending = ids.map((id, i) => ({ key: `${unitIds[i]}\u0000${id}`, org: orgIds[i] as string, unit: unitIds[i] as string, id }));
      for (let depth = 0; pending.length > 0 && depth < MAX_MERGE_DEPTH; depth++) {
        const { rows } = await sql<{ ord: number; merged_into: string | null }>`
          select i.ord::int as ord, l.merged_into
          from unnest(${pending.map((p) => p.org)}::uuid[], ${pending.map((p) => p.unit)}::uuid[], ${pending.map((p) => p.id)}::text[])
               with ordinality as i(org_id, unit_id, id, ord)
          join leads l on l.org_id = i.org_id and l.unit_id = i.unit_id and l.id = i.id`.execute(db);
        const next: typeof pending = [];
        for (const row of rows) {
          const item = pending[row.ord - 1];
          if (!item) continue;
          if (row.merged_into === null) survivors.set(item.key, item.id);
          else next.push({ ...item, id: row.merged_into });
        }
        pending = next;
      }
      return survivors;
    },

    /**
     * One statement, atomic on its own: new leads, their aliases, the events, the scoring-queue rows
     * of the events to score (migrations/0014), their message ids and the NOTIFY that wakes the
     * scoring worker at commit. When a concurrent transaction created one
     * of the new aliases or message ids first, the statement aborts with WRITE_RACE and writes
     * nothing; the caller looks up again (the winner's rows are committed by then) and retries. A
     * message id older than the window is taken over by the new event.
     */
    async write(w: WriteInput): Promise<void> {
      const e = w.events;
      const al = w.aliases;
      const m = w.messages;
      await sql`${sql.raw(preparedStatement('ingest_write'))}
        with new_leads as (
          insert into leads (org_id, unit_id, id)
          select * from unnest(${w.leads.org_id}::uuid[], ${w.leads.unit_id}::uuid[], ${w.leads.id}::text[])
        ),
        new_aliases as (
          insert into lead_aliases (org_id, unit_id, kind, value, lead_id)
          select org_id, unit_id, kind, value, lead_id
          from unnest(${al.map((r) => r.org_id)}::uuid[], ${al.map((r) => r.unit_id)}::uuid[],
                      ${al.map((r) => r.kind)}::text[], ${al.map((r) => r.value)}::text[],
                      ${al.map((r) => r.lead_id)}::text[])
               with ordinality as i(org_id, unit_id, kind, value, lead_id, ord)
          order by ord
          on conflict (org_id, unit_id, kind, value) do nothing
          returning 1
        ),
        new_events as (
          insert into events (id, org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, received_at,
                              normalized, normalized_parent, raw_event_id, scored_at)
          select id, org_id, unit_id, lead_id, event_type, channel, metadata::jsonb, occurred_at, received_at,
                 normalized, normalized_parent, raw_event_id, case when skip_scoring then now() end
          from unnest(${e.id}::uuid[], ${e.org_id}::uuid[], ${e.unit_id}::uuid[], ${e.lead_id}::text[],
                      ${e.event_type}::text[], ${e.channel}::text[], ${e.metadata}::text[],
                      ${e.occurred_at}::timestamptz[], ${e.received_at}::timestamptz[], ${e.normalized}::bool[],
                      ${e.normalized_parent}::bool[], ${e.raw_event_id}::uuid[], ${e.skip_scoring}::bool[])
               with ordinality as i(id, org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at,
                                    received_at, normalized, normalized_parent, raw_event_id, skip_scoring, ord)
          order by ord
          returning id, org_id, unit_id, lead_id, seq, scored_at
        ),
        queued as (
          insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq, lane)
          select org_id, id, unit_id, lead_id, seq, ${w.lane}::smallint from new_events where scored_at is null
        ),
        new_messages as (
          insert into ingest_messages as im (org_id, unit_id, message_id, event_id, lead_id)
          select * from unnest(${m.org_id}::uuid[], ${m.unit_id}::uuid[], ${m.message_id}::text[], ${m.event_id}::uuid[],
                               ${m.lead_id}::text[])
          on conflict (org_id, unit_id, message_id) do update
            set event_id = excluded.event_id, lead_id = excluded.lead_id, created_at = now()
            where im.created_at <= now() - ${MESSAGE_ID_WINDOW}::interval
          returning 1
        )
        select lv_assert((select count(*) from new_aliases) = ${al.length} and (select count(*) from new_messages) = ${m.message_id.length},
                         ${WRITE_RACE}, 'an alias or message id was created concurrently'),
               (select count(pg_notify(${INGESTED_CHANNEL}, u)) from unnest(${w.wakeUnits}::text[]) as u)`.execute(db);
    },

    /**
     * Deletes message ids older than the window, at most `limit` rows per call (short statements:
     * the caller repeats while a call deletes a full batch). Answers how many were deleted.
     */
    async purgeMessages(limit: number): Promise<number> {
      const { rows } = await sql<{ n: number }>`
        with old as (
          select org_id, unit_id, message_id from ingest_messages
          where created_at <= now() - ${MESSAGE_ID_WINDOW}::interval
          limit ${limit}
        ),
        gone as (
          delete from ingest_messages m using old
          where m.org_id = old.org_id and m.unit_id = old.unit_id and m.message_id = old.message_id
            and m.created_at <= now() - ${MESSAGE_ID_WINDOW}::interval
          returning 1
        )
        select count(*)::int as n from gone`.execute(db);
      return rows[0]?.n ?? 0;
    },

    /** Forgets the message ids of deleted leads, so a repeat is stored again rather than answered as a duplicate. */
    async deleteMessagesOfLeads(orgId: string, unitId: string, leadIds: string[]): Promise<void> {
      await sql`delete from ingest_messages
        where org_id = ${orgId} and unit_id = ${unitId} and lead_id = any(${leadIds}::text[])`.execute(db);
    },
  };
}

export type IngestRepository = ReturnType<typeof createIngestRepository>;
