import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AliasKind } from '../../db/schema/events.js';

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
  unit_id: string;
  event_type: string;
  max_processing_scope: ProcessingScope;
  canonical_type: string | null;
}

/** What a batch needs to know before it writes, read in one statement. */
export interface LookupInput {
  aliases: { unit_id: string[]; kind: string[]; value: string[] };
  settings: { unit_id: string[]; event_type: string[] };
  leads: { org_id: string[]; unit_id: string[]; id: string[] };
}

export interface LookupResult {
  /** Owner of each known alias, with the owner's merged_into (null for a surviving lead). */
  aliases: Array<AliasRow & { merged_into: string | null }>;
  settings: EventTypeSetting[];
  /** Leads named by lead_id that exist in their org and OU. */
  leads: Array<{ unit_id: string; id: string; merged_into: string | null }>;
}

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
  /** OUs whose scoring worker is woken (NOTIFY, delivered at commit). */
  wakeUnits: string[];
  wakeChannel: string;
}

export interface LostAlias {
  unit_id: string;
  kind: AliasKind;
  value: string;
}

type LookupRow =
  | { t: 'a'; unit_id: string; a: string; b: string; c: string | null; d: string | null }
  | { t: 's'; unit_id: string; a: string; b: string; c: string | null; d: string | null }
  | { t: 'l'; unit_id: string; a: string; b: string | null; c: string | null; d: string | null };

/**
 * Identity resolution and event writes, all set-based (FROM unnest(…)) so a batch of any size
 * costs a fixed number of statements: one lookup and one write in the common case. Every array
 * carries the OU of each row, so one batch may mix tenants.
 */
export function createIngestRepository(db: Db) {
  return {
    async lookup(input: LookupInput): Promise<LookupResult> {
      const { aliases: a, settings: s, leads: l } = input;
      const { rows } = await sql<LookupRow>`
        select 'a' as t, al.unit_id::text as unit_id, al.kind as a, al.value as b, al.lead_id as c, le.merged_into as d
        from unnest(${a.unit_id}::uuid[], ${a.kind}::text[], ${a.value}::text[]) as i(unit_id, kind, value)
        join lead_aliases al on al.unit_id = i.unit_id and al.kind = i.kind and al.value = i.value
        join leads le on le.unit_id = al.unit_id and le.id = al.lead_id
        union all
        select 's', st.unit_id::text, st.event_type, st.max_processing_scope, st.canonical_type, null
        from unnest(${s.unit_id}::uuid[], ${s.event_type}::text[]) as i(unit_id, event_type)
        join event_type_settings st on st.unit_id = i.unit_id and st.event_type = i.event_type
        union all
        select 'l', le.unit_id::text, le.id, le.merged_into, null, null
        from unnest(${l.org_id}::uuid[], ${l.unit_id}::uuid[], ${l.id}::text[]) as i(org_id, unit_id, id)
        join leads le on le.org_id = i.org_id and le.unit_id = i.unit_id and le.id = i.id`.execute(db);
      const result: LookupResult = { aliases: [], settings: [], leads: [] };
      for (const r of rows) {
        if (r.t === 'a') result.aliases.push({ unit_id: r.unit_id, kind: r.a as AliasKind, value: r.b, lead_id: r.c as string, merged_into: r.d });
        else if (r.t === 's') {
          result.settings.push({ unit_id: r.unit_id, event_type: r.a, max_processing_scope: r.b as ProcessingScope, canonical_type: r.c });
        } else result.leads.push({ unit_id: r.unit_id, id: r.a, merged_into: r.b });
      }
      return result;
    },

    async findSettings(unitIds: string[], eventTypes: string[]): Promise<EventTypeSetting[]> {
      const { rows } = await sql<EventTypeSetting>`
        select s.unit_id::text as unit_id, s.event_type, s.max_processing_scope, s.canonical_type
        from event_type_settings s
        join unnest(${unitIds}::uuid[], ${eventTypes}::text[]) as i(unit_id, event_type)
          on s.unit_id = i.unit_id and s.event_type = i.event_type`.execute(db);
      return rows;
    },

    async findAliasOwners(unitIds: string[], kinds: string[], values: string[]): Promise<AliasRow[]> {
      const { rows } = await sql<AliasRow>`
        select a.unit_id::text as unit_id, a.kind, a.value, a.lead_id
        from unnest(${unitIds}::uuid[], ${kinds}::text[], ${values}::text[]) as i(unit_id, kind, value)
        join lead_aliases a on a.unit_id = i.unit_id and a.kind = i.kind and a.value = i.value`.execute(db);
      return rows;
    },

    /** The surviving lead of each (unit, id), following merged_into chains; keyed `${unit}\0${id}`. */
    async findSurvivors(unitIds: string[], ids: string[]): Promise<Map<string, string>> {
      const survivors = new Map<string, string>();
      let pending = ids.map((id, i) => ({ key: `${unitIds[i]}\u0000${id}`, unit: unitIds[i] as string, id }));
      for (let depth = 0; pending.length > 0 && depth < MAX_MERGE_DEPTH; depth++) {
        const { rows } = await sql<{ ord: number; merged_into: string | null }>`
          select i.ord::int as ord, l.merged_into
          from unnest(${pending.map((p) => p.unit)}::uuid[], ${pending.map((p) => p.id)}::text[])
               with ordinality as i(unit_id, id, ord)
          join leads l on l.unit_id = i.unit_id and l.id = i.id`.execute(db);
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
     * One statement: new leads, the aliases nobody owns yet (a concurrent owner wins the rest),
     * the events, and the NOTIFY that wakes the scoring worker at commit. Answers the aliases
     * that were not inserted because another transaction owns them now.
     */
    async write(w: WriteInput): Promise<LostAlias[]> {
      const e = w.events;
      const al = w.aliases;
      const { rows } = await sql<{ unit_id: string | null; kind: AliasKind; value: string }>`
        with new_leads as (
          insert into leads (org_id, unit_id, id)
          select * from unnest(${w.leads.org_id}::uuid[], ${w.leads.unit_id}::uuid[], ${w.leads.id}::text[])
        ),
        alias_input as (
          select * from unnest(${al.map((r) => r.org_id)}::uuid[], ${al.map((r) => r.unit_id)}::uuid[],
                               ${al.map((r) => r.kind)}::text[], ${al.map((r) => r.value)}::text[],
                               ${al.map((r) => r.lead_id)}::text[])
                        with ordinality as i(org_id, unit_id, kind, value, lead_id, ord)
        ),
        new_aliases as (
          insert into lead_aliases (org_id, unit_id, kind, value, lead_id)
          select org_id, unit_id, kind, value, lead_id from alias_input order by ord
          on conflict (unit_id, kind, value) do nothing
          returning unit_id, kind, value
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
        ),
        wake as (
          select count(pg_notify(${w.wakeChannel}, u)) as n from unnest(${w.wakeUnits}::text[]) as u
        )
        select lost.unit_id, lost.kind, lost.value
        from wake
        left join (
          select i.unit_id::text as unit_id, i.kind, i.value
          from alias_input i
          where not exists (
            select 1 from new_aliases n where n.unit_id = i.unit_id and n.kind = i.kind and n.value = i.value
          )
        ) lost on true`.execute(db);
      // \`wake\` is the preserved side of the join, so its NOTIFY runs even when nothing was lost.
      return rows.filter((r): r is LostAlias => r.unit_id !== null);
    },

    /** Hands a lead created in this transaction, with its events and aliases, to the lead that won a race. */
    async replaceLead(unitId: string, loser: string, winner: string): Promise<void> {
      await sql`update events set lead_id = ${winner} where unit_id = ${unitId} and lead_id = ${loser}`.execute(db);
      await sql`update lead_aliases set lead_id = ${winner} where unit_id = ${unitId} and lead_id = ${loser}`.execute(db);
      await sql`delete from leads where unit_id = ${unitId} and id = ${loser}`.execute(db);
    },

    async countUnscored(): Promise<number> {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from events where scored_at is null`.execute(db);
      return rows[0]?.n ?? 0;
    },

    leadExists(orgId: string, unitId: string, leadId: string) {
      return db
        .selectFrom('leads')
        .select('id')
        .where('org_id', '=', orgId)
        .where('unit_id', '=', unitId)
        .where('id', '=', leadId)
        .executeTakeFirst();
    },

    listAliases(orgId: string, unitId: string, leadId: string) {
      return db
        .selectFrom('lead_aliases')
        .select(['kind', 'value', 'created_at'])
        .where('org_id', '=', orgId)
        .where('unit_id', '=', unitId)
        .where('lead_id', '=', leadId)
        .orderBy('created_at')
        .orderBy('kind')
        .orderBy('value')
        .execute();
    },
  };
}

export type IngestRepository = ReturnType<typeof createIngestRepository>;
