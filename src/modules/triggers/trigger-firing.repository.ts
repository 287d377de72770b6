import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import { preparedStatement } from '../../db/prepared-pool.js';
import type { JsonValue, TriggerKind, TriggersTable } from '../../db/types.js';
import type { HistoryEvent, LastFiring } from './trigger-rules.js';

export type TriggerRow = Selectable<TriggersTable>;
/** An event type of an OU whose processing scope is not `activate` (`decide` or `observe`). */
export interface UnitScope {
  unit_id: string;
  event_type: string;
  scope: string;
}
/** An active trigger as the scoring worker reads it: the row and its row version (`xmin`, see `unitVersions`). */
export type ActiveTrigger = TriggerRow & { row_version: string };
/**
 * Per lead (`unit:lead`) its history; per `trigger:lead` its latest firing; the OUs' non-`activate`
 * scopes; per OU (`org:unit`) the version of its active triggers when the statement ran.
 */
export interface EvaluationContext {
  history: Map<string, HistoryEvent[]>;
  /** Per lead (`unit:lead`), its latest firing of each trigger (by trigger id). */
  last: Map<string, Map<string, LastFiring>>;
  scopes: UnitScope[];
  versions: Map<string, string>;
}
/**
 * One row of the context statement: a history event (`h`, n = its probe's position), a latest firing
 * of the probe's lead (`l`, n = the probe's position, id = trigger id), a scope (`s`, note = scope)
 * or an OU's trigger version (`v`, note = its `id:xmin` list). Times come as epoch milliseconds: no
 * timestamp to parse per row.
 */
interface ContextRow {
  part: 'h' | 'l' | 's' | 'v';
  n: number | null;
  org_id: string | null;
  unit_id: string | null;
  lead_id: string | null;
  id: string | null;
  seq: number | null;
  event_type: string | null;
  at_ms: number | null;
  note: string | null;
}

/** The version of an OU's set of active triggers: each row's id and xmin, sorted (any insert, update or delete changes it). */
export function triggerSetVersion(rows: Array<{ id: string; row_version: string }>): string {
  return rows.map((r) => `${r.id}:${r.row_version}`).sort().join(',');
}

const versionOf = (agg: string | null) => (agg ? agg.split(',').sort().join(',') : '');

function contextOf(rows: ContextRow[], req: ContextRequest = { probes: [], units: [], types: [] }): EvaluationContext {
  const ctx: EvaluationContext = { history: new Map(), last: new Map(), scopes: [], versions: new Map() };
  const leadOf = (n: number | null) => {
    const probe = req.probes[Number(n) - 1] as HistoryProbe;
    return `${(req.units[probe.u] as UnitKey).unit_id}:${probe.lead_id}`;
  };
  for (const r of rows) {
    if (r.part === 'l') {
      const key = leadOf(r.n);
      const latest = ctx.last.get(key) ?? new Map<string, LastFiring>();
      latest.set(r.id as string, { seq: Number(r.seq), at: Number(r.at_ms) });
      ctx.last.set(key, latest);
    }
    else if (r.part === 's') ctx.scopes.push({ unit_id: r.unit_id as string, event_type: r.event_type as string, scope: r.note as string });
    else if (r.part === 'v') ctx.versions.set(`${r.org_id}:${r.unit_id}`, versionOf(r.note));
    else {
      const key = leadOf(r.n);
      const list = ctx.history.get(key) ?? [];
      // The evaluator only keys firings by the event being scored; a history event needs no id.
      list.push({ id: '', seq: Number(r.seq), event_type: r.event_type as string, at: Number(r.at_ms) });
      ctx.history.set(key, list);
    }
  }
  return ctx;
}
export interface UnitKey {
  org_id: string;
  unit_id: string;
}

/**
 * A lead the evaluator reads: its latest firing of each trigger, and its events in a time range
 * [from_ms, to_ms) (epoch milliseconds; null when none of its candidate triggers has a window) up to
 * a seq, of the types its `mask` names (bit i: the request's `types[i]`; null: every type).
 */
export interface HistoryProbe {
  /** The lead's OU: its position in the request's `units`. */
  u: number;
  lead_id: string;
  from_ms: number | null;
  to_ms: number | null;
  mask: number | null;
  max_seq: number;
}

/** What the context statement reads: one probe per candidate lead, the OUs to check, the types the masks name. */
export interface ContextRequest {
  probes: HistoryProbe[];
  units: UnitKey[];
  types: string[];
}

export interface FiringRow {
  org_id: string;
  unit_id: string;
  id: string;
  trigger_id: string;
  kind: string;
  lead_id: string;
  event_id: string;
  event_type: string;
  event_seq: number;
  event_at: string;
  score: number | null;
  fire_key: string;
  delivered: boolean;
}


/** One action of a trigger (webhook, email or Slack target): one delivery per firing of it in activate scope. */
export interface TriggerAction {
  trigger_id: string;
  trigger_name: string | null;
  kind: string;
  target: JsonValue;
}

/** A firing to write, with what its deliveries need besides the trigger's actions. */
export type FiringWrite = FiringRow & { event_received_at: string };

/** The channel the delivery sender LISTENs on; a firing's statement NOTIFYs it, delivered at commit. */
export const DELIVERIES_CHANNEL = 'lv_deliveries';

const arrays = (units: UnitKey[]) => ({ orgs: [...new Set(units.map((u) => u.org_id))], ids: [...new Set(units.map((u) => u.unit_id))] });
/** A timestamptz as whole epoch milliseconds (float8), what `Date.getTime()` of it gives. */
const epochMs = (column: string) => sql.raw(`floor(extract(epoch from ${column}) * 1000)::float8`);
const ACTIVE_KINDS: TriggerKind[] = ['milestone', 'sequence', 'pattern'];

/** Context rows (`v`) with each OU's active triggers as `id:xmin` pairs: what `triggerSetVersion` computes from the rows. */
function versionsSql(units: UnitKey[]) {
  const { orgs, ids } = arrays(units);
  return sql`select 'v' as part, null::int as n, t.org_id::text as org_id, t.unit_id::text as unit_id, null as lead_id, null as id, null::float8 as seq,
      null as event_type, null::float8 as at_ms, string_agg(t.id::text || ':' || t.xmin::text, ',') as note
    from triggers t
    where t.org_id = any(${orgs}::uuid[]) and t.unit_id = any(${ids}::uuid[]) and t.kind = any(${ACTIVE_KINDS}::text[]) and t.active
    group by t.org_id, t.unit_id`;
}

/** The SQL of trigger evaluation in the scoring transaction: a handful of set-based statements per batch. */
export function createTriggerFiringRepository(db: Db) {
  return {
    /**
     * Active milestone, sequence and pattern triggers of these OUs (one index probe per OU), each
     * with its row version (`xmin`), from which the worker's cache knows the set it holds.
     */
    async activeTriggers(units: UnitKey[]): Promise<ActiveTrigger[]> {
      const { orgs, ids } = arrays(units);
      const rows = await db
        .selectFrom('triggers as t')
        .selectAll('t')
        .select(sql<string>`t.xmin::text`.as('row_version'))
        .where('t.org_id', '=', sql<string>`any(${orgs}::uuid[])`)
        .where('t.unit_id', '=', sql<string>`any(${ids}::uuid[])`)
        .where('t.kind', 'in', ACTIVE_KINDS)
        .where('t.active', '=', true)
        .orderBy('t.created_at')
        .orderBy('t.id')
        .execute();
      const wanted = new Set(units.map((u) => `${u.org_id}:${u.unit_id}`));
      return rows.filter((r) => wanted.has(`${r.org_id}:${r.unit_id}`));
    },

    /** The version of each OU's active triggers now (`org:unit` → version; '' when it has none). */
    async unitVersions(units: UnitKey[]): Promise<Map<string, string>> {
      const { rows } = await sql<ContextRow>`${versionsSql(units)}`.execute(db);
      return contextOf(rows).versions;
    },

    /**
     * What evaluation reads, in one statement, per candidate lead (`p`): its events in the probe's
     * range (scored rows only: no raw row of a normalized pair, no DECAY) and its latest firing of
     * each trigger, from `trigger_firings_lead` (one range of the lead's own firings: the read does
     * not grow with other leads' firings; migration 0069); with the OUs' scopes and trigger versions.
     */
    async context(req: ContextRequest): Promise<EvaluationContext> {
      const { orgs, ids } = arrays(req.units);
      const p = req.probes;
      const { rows } = await sql<ContextRow>`${sql.raw(preparedStatement('trigger_context_leads'))}
        with p as materialized (
          -- epoch milliseconds to timestamptz exactly (whole milliseconds times an interval, no float seconds)
          select (${req.units.map((u) => u.org_id)}::uuid[])[x.u + 1] as org_id, (${req.units.map((u) => u.unit_id)}::uuid[])[x.u + 1] as unit_id,
                 x.lead_id, timestamptz 'epoch' + x.from_ms * interval '1 millisecond' as from_at,
                 timestamptz 'epoch' + x.to_ms * interval '1 millisecond' as to_at, x.mask, x.max_seq, x.n
          from unnest(${p.map((x) => x.u)}::int[], ${p.map((x) => x.lead_id)}::text[], ${p.map((x) => x.from_ms)}::float8[],
                      ${p.map((x) => x.to_ms)}::float8[], ${p.map((x) => x.mask)}::int[], ${p.map((x) => x.max_seq)}::bigint[])
            with ordinality as x(u, lead_id, from_ms, to_ms, mask, max_seq, n)
        )
        select 'h' as part, p.n::int as n, null as org_id, null as unit_id, null as lead_id, null as id, e.seq::float8 as seq, e.event_type,
          ${epochMs('e.occurred_at')} as at_ms, null as note
        from p
        cross join lateral (
          -- offset 0: one index probe per lead, whatever the planner thinks of the table's size (a hash join scans all events)
          select seq, event_type, occurred_at from events e
          where e.org_id = p.org_id and e.unit_id = p.unit_id and e.lead_id = p.lead_id
            and e.occurred_at >= p.from_at and e.occurred_at < p.to_at and e.seq <= p.max_seq
            and e.decay_id is null and not (e.normalized and not e.normalized_parent)
            -- only the types the lead's candidate triggers count (a type not in the list: a null bit, not read)
            and (p.mask is null or p.mask & (1 << (array_position(${req.types}::text[], e.event_type) - 1)) <> 0)
          offset 0
        ) e
        where p.from_at is not null
        union all
        select 'l', p.n::int, null, null, null, f.trigger_id::text, f.seq, null, ${epochMs('f.at')}, null
        from p
        cross join lateral (
          select trigger_id, max(event_seq)::float8 as seq, max(event_at) as at from trigger_firings f
          where f.org_id = p.org_id and f.unit_id = p.unit_id and f.lead_id = p.lead_id
          group by trigger_id
          offset 0
        ) f
        union all
        select 's', null, null, s.unit_id::text, null, null, null, s.event_type, null, s.max_processing_scope::text
        from event_type_settings s
        where s.org_id = any(${orgs}::uuid[]) and s.unit_id = any(${ids}::uuid[]) and s.max_processing_scope <> 'activate'
        union all
        ${versionsSql(req.units)}`.execute(db);
      return contextOf(rows, req);
    },

    /**
     * Inserts the firings (a duplicate of the once key is skipped: the unique key is the guarantee)
     * and, for each one inserted in activate scope, one delivery per action of its trigger, its
     * payload built here from the firing (docs/deliveries.md; `fired_at` is the worker's clock when
     * the batch was evaluated); NOTIFYs the sender when it wrote any. One statement. Answers the ids
     * of the firings inserted.
     */
    async writeFirings(firings: FiringWrite[], actions: TriggerAction[], firedAt: string): Promise<string[]> {
      const { rows } = await sql<{ id: string; notified: number }>`${sql.raw(preparedStatement('trigger_firings_write'))}
        with x as (
          select * from json_to_recordset(${JSON.stringify(firings)}::json) as x(org_id uuid, unit_id uuid, id uuid, trigger_id uuid, kind text,
            lead_id text, event_id uuid, event_type text, event_seq bigint, event_at text, score int, fire_key text, delivered boolean,
            event_received_at timestamptz)
        ),
        fired as (
          insert into trigger_firings (org_id, unit_id, id, trigger_id, kind, lead_id, event_id, event_type, event_seq, event_at, score, fire_key, delivered)
          select org_id, unit_id, id, trigger_id, kind, lead_id, event_id, event_type, event_seq, event_at::timestamptz, score, fire_key, delivered
          from x
          order by event_seq
          on conflict (org_id, trigger_id, lead_id, fire_key) do nothing
          returning id
        ),
        queued as (
          insert into deliveries (org_id, unit_id, firing_id, trigger_id, lead_id, kind, target, payload, event_received_at)
          select x.org_id, x.unit_id, x.id, x.trigger_id, x.lead_id, a.kind, a.target,
            jsonb_build_object('type', x.kind || '.fired', 'firing_id', x.id,
              'trigger', jsonb_build_object('id', x.trigger_id, 'kind', x.kind, 'name', a.trigger_name),
              'org_id', x.org_id, 'unit_id', x.unit_id, 'lead_id', x.lead_id,
              'event', jsonb_build_object('id', x.event_id, 'event_type', x.event_type, 'occurred_at', x.event_at),
              'score', coalesce(x.score, 0), 'fired_at', ${firedAt}::text),
            x.event_received_at
          from x
          join fired f on f.id = x.id
          join json_to_recordset(${JSON.stringify(actions)}::json) as a(trigger_id uuid, trigger_name text, kind text, target jsonb) on a.trigger_id = x.trigger_id
          where x.delivered
          returning 1
        )
        select f.id::text as id, (select count(pg_notify(${DELIVERIES_CHANNEL}, '')) from (select 1 from queued limit 1) q)::int as notified
        from fired f`.execute(db);
      return rows.map((r) => r.id);
    },
  };
}

export type TriggerFiringRepository = ReturnType<typeof createTriggerFiringRepository>;
