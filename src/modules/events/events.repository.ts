import { sql, type Expression, type Selectable, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Db } from '../../db/database.js';
import type { DB, EventOutcomesTable, EventsTable, JsonObject } from '../../db/types.js';
import type { Tenant } from '../../auth/tenant.js';
import { needsOutcome, onOutcome, scoredAt, shownMetadata } from '../../db/event-outcomes.js';

/** A stored event as the API reads it (org_id, unit_id, seq and the server's scoring columns stay in the database). */
export type EventRow = Omit<Selectable<EventsTable>, 'org_id' | 'unit_id' | 'seq' | 'decay_id' | 'decay_decrease' | 'utm_campaign' | 'utm_source' | 'utm_medium'>;

const EVENT_COLUMNS = [
  'events.id',
  'events.lead_id',
  'events.event_type',
  'events.channel',
  'events.occurred_at',
  'events.received_at',
  'events.normalized',
  'events.normalized_parent',
  'events.raw_event_id',
] as const;

export interface EventFilter {
  metadata: Array<{ key: string; value: string }>;
  logic: 'and' | 'or';
}

/** Where the previous export page stopped: occurred_at as text keeps its microseconds. */
export interface ExportCursor {
  occurredAt: string;
  seq: number;
}

/**
 * Analytics count each ingested event once: the raw row of a normalized pair (normalized and not
 * normalized_parent) is left out, its canonical row counts (semantics §2).
 */
const canonical = sql<SqlBool>`not (events.normalized and not events.normalized_parent)`;

/** Every events query of this repository has the event's outcome joined as `o` (PostgreSQL drops the join where nothing reads it). */
type EventsQuery<O> = SelectQueryBuilder<DB & { o: EventOutcomesTable }, 'events' | 'o', O>;

function inScope<O>(qb: EventsQuery<O>, scope: Tenant): EventsQuery<O> {
  return qb.where('events.org_id', '=', scope.orgId).where('events.unit_id', '=', scope.unitId);
}

/** metadata ->> key = value per filter, parameterized; compares as text, so `n:5` matches 5 and "5". */
function withFilter<O>(qb: EventsQuery<O>, filter: EventFilter): EventsQuery<O> {
  if (filter.metadata.length === 0) return qb;
  const matches: Expression<SqlBool>[] = filter.metadata.map(
    ({ key, value }) => sql<SqlBool>`${needsOutcome(key) ? shownMetadata('events') : sql.ref('events.metadata')} ->> ${key} = ${value}`,
  );
  return qb.where((eb) => (filter.logic === 'and' ? eb.and(matches) : eb.or(matches)));
}

/**
 * `select value from …`: the distinct values of an events column in one OU as a loose index scan
 * (recursive CTE): one index probe per distinct value over an index on (unit_id, column), instead
 * of reading every event of the OU.
 */
export function distinctEventValues(scope: Tenant, column: 'channel' | 'event_type') {
  const col = sql.ref(column);
  const eCol = sql.ref(`e.${column}`);
  return sql<{ value: string }>`
    with recursive seen as (
      (select ${col} as value from events
        where org_id = ${scope.orgId} and unit_id = ${scope.unitId}
        order by ${col} limit 1)
      union all
      select (select ${eCol} from events e
               where e.org_id = ${scope.orgId} and e.unit_id = ${scope.unitId} and ${eCol} > seen.value
               order by ${eCol} limit 1)
        from seen where seen.value is not null
    )
    select value from seen where value is not null`;
}

export function createEventsRepository(db: Db) {
  const events = (): EventsQuery<object> =>
    db.selectFrom('events').leftJoin('event_outcomes as o', onOutcome('events'));
  const selectEvents = () =>
    events().select(EVENT_COLUMNS).select([shownMetadata('events').as('metadata'), scoredAt('events').as('scored_at')]);

  return {
    list(scope: Tenant, filter: EventFilter, page: { limit: number; offset: number }): Promise<EventRow[]> {
      return withFilter(inScope(selectEvents(), scope), filter)
        .orderBy('events.occurred_at', 'desc')
        .orderBy('events.seq', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
    },

    listByLead(scope: Tenant, leadId: string, page: { limit: number; offset: number }): Promise<EventRow[]> {
      return inScope(selectEvents(), scope)
        .where('events.lead_id', '=', leadId)
        .orderBy('events.occurred_at', 'desc')
        .orderBy('events.seq', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
    },

    /** One keyset page of the export, newest first; `after` is the last row of the previous page. */
    exportPage(scope: Tenant, filter: EventFilter, after: ExportCursor | null, size: number) {
      return withFilter(inScope(events(), scope), filter)
        .select(['events.id', 'events.lead_id', 'events.event_type', 'events.occurred_at', 'events.channel'])
        .select(['events.received_at', 'events.seq', shownMetadata('events').as('metadata')])
        .select(sql<string>`events.occurred_at::text`.as('cursor_at'))
        .$if(after !== null, (qb) =>
          qb.where(sql<SqlBool>`(events.occurred_at, events.seq) < (${after?.occurredAt}::timestamptz, ${after?.seq})`),
        )
        .orderBy('events.occurred_at', 'desc')
        .orderBy('events.seq', 'desc')
        .limit(size)
        .execute();
    },

    /** The distinct leads of the listed events of the OU: whose locks a delete takes first. */
    async leadsOfEvents(scope: Tenant, ids: string[]): Promise<string[]> {
      const rows = await inScope(events(), scope).select('events.lead_id').distinct().where('events.id', 'in', ids).execute();
      return rows.map((r) => r.lead_id);
    },

    /**
     * Deletes up to `limit` events of the listed leads (their event scores go with them by cascade);
     * run it holding the leads' locks. Answers how many were deleted.
     */
    async deleteOfLeads(scope: Tenant, leadIds: string[], limit: number): Promise<number> {
      const result = await sql`
        delete from events e using (
          select org_id, id from events
           where org_id = ${scope.orgId} and unit_id = ${scope.unitId} and lead_id = any(${leadIds}::text[])
           limit ${limit}) d
         where e.org_id = d.org_id and e.id = d.id`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /** Events of the leads that hold one of `fields`, with only those keys, in ingestion order per lead. */
    async mappedFieldsOfLeads(scope: Tenant, leadIds: string[], fields: string[]): Promise<Array<{ lead_id: string; metadata: JsonObject }>> {
      if (leadIds.length === 0 || fields.length === 0) return [];
      const { rows } = await sql<{ lead_id: string; metadata: JsonObject }>`
        select e.lead_id,
               (select jsonb_object_agg(f.k, e.metadata -> f.k) from unnest(${fields}::text[]) as f(k) where e.metadata ? f.k) as metadata
          from events e
         where e.org_id = ${scope.orgId} and e.unit_id = ${scope.unitId} and e.lead_id = any(${leadIds}::text[])
           and e.metadata ?| ${fields}::text[]
         order by e.lead_id, e.seq`.execute(db);
      return rows;
    },

    /** metadata.accountId := the lead's account where it is missing or another; answers events scanned and updated. */
    async stampAccountIds(scope: Tenant, leads: Array<{ id: string; account_id: string }>): Promise<{ scanned: number; updated: number }> {
      if (leads.length === 0) return { scanned: 0, updated: 0 };
      const { rows } = await sql<{ scanned: number; updated: number }>`
        with l as (select * from unnest(${leads.map((l) => l.id)}::text[], ${leads.map((l) => l.account_id)}::text[]) as l(id, account_id)),
        scanned as (
          select count(*)::int as n from events e join l on e.lead_id = l.id
           where e.org_id = ${scope.orgId} and e.unit_id = ${scope.unitId}),
        updated as (
          update events e set metadata = jsonb_set(e.metadata, '{accountId}', to_jsonb(l.account_id))
            from l
           where e.org_id = ${scope.orgId} and e.unit_id = ${scope.unitId} and e.lead_id = l.id
             and (e.metadata ->> 'accountId') is distinct from l.account_id
          returning 1)
        select (select n from scanned) as scanned, (select count(*)::int from updated) as updated`.execute(db);
      return rows[0] ?? { scanned: 0, updated: 0 };
    },

    /**
     * Merge: how many events the `from` leads hold (they all move to the target: the rescore's one
     * UPDATE moves and unscores them, scoring-worker/rescore.ts); run it holding all their locks.
     */
    async countOfLeads(scope: Tenant, leadIds: string[]): Promise<number> {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from events
         where org_id = ${scope.orgId} and unit_id = ${scope.unitId} and lead_id = any(${leadIds}::text[])`.execute(db);
      return rows[0]?.n ?? 0;
    },

    /** Merge truncation: deletes the events of the leads but their `keep` newest (by time, then ingestion order). */
    async deleteAllButNewest(scope: Tenant, leadIds: string[], keep: number): Promise<number> {
      const result = await sql`
        delete from events e using (
          select org_id, id from events
           where org_id = ${scope.orgId} and unit_id = ${scope.unitId} and lead_id = any(${leadIds}::text[])
           order by occurred_at desc, seq desc
          offset ${keep}) d
         where e.org_id = d.org_id and e.id = d.id`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /** Deletes the listed events of the OU; run it holding their leads' locks (src/db/locks.ts). */
    deleteByIds(scope: Tenant, ids: string[]): Promise<Array<{ id: string; lead_id: string }>> {
      return db
        .deleteFrom('events')
        .where('org_id', '=', scope.orgId)
        .where('unit_id', '=', scope.unitId)
        .where('id', 'in', ids)
        .returning(['id', 'lead_id'])
        .execute();
    },

    async stats(scope: Tenant, since: Date) {
      const recent = inScope(events(), scope).where(canonical).where('events.occurred_at', '>=', since);
      const [totals, top] = await Promise.all([
        recent
          .select((eb) => [
            eb.fn.countAll<number>().as('events'),
            eb.fn.count<number>('events.lead_id').distinct().as('leads'),
          ])
          .executeTakeFirstOrThrow(),
        recent
          .select((eb) => ['events.event_type', eb.fn.countAll<number>().as('count')])
          .groupBy('events.event_type')
          .orderBy('count', 'desc')
          .orderBy('events.event_type')
          .limit(10)
          .execute(),
      ]);
      return { totals, top };
    },

    async analytics(scope: Tenant, now: Date) {
      const day = 86_400_000;
      const since = (days: number) => new Date(now.getTime() - days * day);
      const all = inScope(events(), scope).where(canonical);
      const [totals, byType] = await Promise.all([
        all
          .select((eb) => [
            eb.fn.countAll<number>().as('events'),
            eb.fn.count<number>('events.lead_id').distinct().as('leads'),
            eb.fn.count<number>('events.event_type').distinct().as('event_types'),
            eb.fn.countAll<number>().filterWhere('events.occurred_at', '>=', since(1)).as('last_24h'),
            eb.fn.countAll<number>().filterWhere('events.occurred_at', '>=', since(7)).as('last_7d'),
            eb.fn.countAll<number>().filterWhere('events.occurred_at', '>=', since(30)).as('last_30d'),
          ])
          .executeTakeFirstOrThrow(),
        all
          .select((eb) => ['events.event_type', eb.fn.countAll<number>().as('count')])
          .groupBy('events.event_type')
          .orderBy('count', 'desc')
          .orderBy('events.event_type')
          .execute(),
      ]);
      return { totals, byType };
    },

    /** Distinct channels of the OU (a handful of index probes over events_unit_channel). */
    async channels(scope: Tenant): Promise<string[]> {
      const { rows } = await sql<{ value: string }>`${distinctEventValues(scope, 'channel')} order by value`.execute(db);
      return rows.map((r) => r.value);
    },
  };
}

export type EventsRepository = ReturnType<typeof createEventsRepository>;
