import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { TriggerKind, TriggersTable } from '../../db/types.js';

export type TriggerRow = Selectable<TriggersTable>;

export interface FiringFilter {
  trigger_id?: string;
  lead_id?: string;
  start?: string;
  end?: string;
}

export interface FiringItem {
  id: string;
  trigger_id: string;
  trigger_name: string | null;
  lead_id: string;
  event_id: string;
  event_type: string;
  score: number | null;
  delivered: boolean;
  event_at: Date;
  fired_at: Date;
}

/** A row of a simulation's replay: an event of the OU with the lead's primary score after it. */
export interface ReplayRow {
  lead_id: string;
  id: string;
  seq: number;
  event_type: string;
  occurred_at: Date;
  score: number | null;
}

/** Trigger definitions and their firings (the tables of migrations/0030). */
export function createTriggersRepository(db: Db) {
  const firings = (t: Tenant, kind: TriggerKind, f: FiringFilter) =>
    db
      .selectFrom('trigger_firings as f')
      .innerJoin('triggers as t', (j) => j.onRef('t.org_id', '=', 'f.org_id').onRef('t.id', '=', 'f.trigger_id'))
      .select(['f.id', 'f.trigger_id', 't.name as trigger_name', 'f.lead_id', 'f.event_id', 'f.event_type', 'f.score', 'f.delivered', 'f.event_at', 'f.fired_at'])
      .where('f.org_id', '=', t.orgId)
      .where('f.unit_id', '=', t.unitId)
      .where('f.kind', '=', kind)
      .$if(f.trigger_id !== undefined, (q) => q.where('f.trigger_id', '=', f.trigger_id as string))
      .$if(f.lead_id !== undefined, (q) => q.where('f.lead_id', '=', f.lead_id as string))
      .$if(f.start !== undefined, (q) => q.where('f.fired_at', '>=', new Date(f.start as string)))
      .$if(f.end !== undefined, (q) => q.where('f.fired_at', '<=', new Date(f.end as string)));

  return {
    list: (t: Tenant, kind: TriggerKind) =>
      db.selectFrom('triggers').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('kind', '=', kind).orderBy('created_at').orderBy('id').execute(),
    find: (t: Tenant, kind: TriggerKind, id: string) =>
      db.selectFrom('triggers').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('kind', '=', kind).where('id', '=', id).executeTakeFirst(),
    create: (row: Insertable<TriggersTable>) => db.insertInto('triggers').values(row).returningAll().executeTakeFirstOrThrow(),
    update: (t: Tenant, kind: TriggerKind, id: string, patch: Updateable<TriggersTable>) =>
      db
        .updateTable('triggers')
        .set({ ...patch, updated_at: sql`now()` })
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst(),
    async remove(t: Tenant, kind: TriggerKind, id: string): Promise<boolean> {
      const res = await db.deleteFrom('triggers').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },

    /** A page of firings, newest first. */
    listFirings: (t: Tenant, kind: TriggerKind, f: FiringFilter, limit: number, offset: number): Promise<FiringItem[]> =>
      firings(t, kind, f).orderBy('f.fired_at', 'desc').orderBy('f.id', 'desc').limit(limit).offset(offset).execute(),

    /** The export's pages: keyset on (fired_at, id) descending. */
    exportFirings(t: Tenant, kind: TriggerKind, f: FiringFilter, after: { fired_at: Date; id: string } | null, limit: number): Promise<FiringItem[]> {
      return firings(t, kind, f)
        .$if(after !== null, (q) => q.where(sql<boolean>`(f.fired_at, f.id) < (${after?.fired_at ?? null}::timestamptz, ${after?.id ?? null}::uuid)`))
        .orderBy('f.fired_at', 'desc')
        .orderBy('f.id', 'desc')
        .limit(limit)
        .execute();
    },

    /**
     * A page of the replay of a simulation: the OU's scored events of `types` since `from` (one
     * lead's when `leadId`), in (lead, ingestion order), after the keyset cursor.
     */
    async replayPage(t: Tenant, q: { types: string[]; from: Date; leadId?: string; after: { lead_id: string; seq: number } | null; limit: number }): Promise<ReplayRow[]> {
      const { rows } = await sql<ReplayRow>`
        select e.lead_id, e.id::text as id, e.seq::float8 as seq, e.event_type, e.occurred_at, s.score_after as score
        from events e
        -- Scored rows only (an observe-scope event has scored_at but no score): its primary score row.
        join rulesets r on r.org_id = e.org_id and r.unit_id = e.unit_id and r.is_primary
        join event_scores s on s.org_id = e.org_id and s.event_id = e.id and s.ruleset_id = r.id
        where e.org_id = ${t.orgId} and e.unit_id = ${t.unitId} and e.event_type = any(${q.types}::text[]) and e.occurred_at >= ${q.from}
          and e.decay_id is null and not (e.normalized and not e.normalized_parent)
          ${q.leadId !== undefined ? sql`and e.lead_id = ${q.leadId}` : sql``}
          ${q.after ? sql`and (e.lead_id, e.seq) > (${q.after.lead_id}, ${q.after.seq}::bigint)` : sql``}
        order by e.lead_id, e.seq
        limit ${q.limit}`.execute(db);
      return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    },
  };
}

export type TriggersRepository = ReturnType<typeof createTriggersRepository>;
