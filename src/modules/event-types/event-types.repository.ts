import { sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import { outcomeJoin, shownMetadata } from '../../db/event-outcomes.js';
import type { EventTypeSettingsTable } from '../../db/types.js';
import { distinctEventValues } from '../events/events.repository.js';
import type { Tenant } from '../../auth/tenant.js';

type ProcessingScope = 'observe' | 'decide' | 'activate';

export interface EventTypeSettingRow {
  event_type: string;
  hidden: boolean;
  max_processing_scope: ProcessingScope;
  canonical_type: string | null;
  count: number;
}

export interface SettingValues {
  hidden?: boolean | undefined;
  max_processing_scope?: ProcessingScope | undefined;
  canonical_type?: string | null | undefined;
}

/** How many of a type's most recent events GET /event-types/{t}/properties reads its keys from. */
export const PROPERTY_SAMPLE = 10_000;

const DEFAULTS = { hidden: false, max_processing_scope: 'activate' as ProcessingScope, canonical_type: null };

export function createEventTypesRepository(db: Db) {
  return {
    /**
     * Types stored in the OU (a loose index scan over events_unit_type_time: one index probe per
     * distinct type, not a pass over every event) plus types only configured, minus hidden ones.
     */
    async listVisible(scope: Tenant): Promise<string[]> {
      const { rows } = await sql<{ event_type: string }>`
        with types as (
          select value as event_type from (${distinctEventValues(scope, 'event_type')}) as stored
          union
          select event_type from event_type_settings where org_id = ${scope.orgId} and unit_id = ${scope.unitId}
        )
        select t.event_type from types t
         where not exists (select 1 from event_type_settings s
                            where s.org_id = ${scope.orgId} and s.unit_id = ${scope.unitId}
                              and s.event_type = t.event_type and s.hidden)
         order by t.event_type
      `.execute(db);
      return rows.map((r) => r.event_type);
    },

    /** Distinct top-level metadata keys over the type's most recent PROPERTY_SAMPLE events. */
    async properties(scope: Tenant, eventType: string): Promise<string[]> {
      const { rows } = await sql<{ key: string }>`
        select distinct k.key from (
          select ${shownMetadata('e')} as metadata from events e ${outcomeJoin('e')}
           where e.org_id = ${scope.orgId} and e.unit_id = ${scope.unitId} and e.event_type = ${eventType}
           order by e.occurred_at desc limit ${PROPERTY_SAMPLE}
        ) recent
        cross join lateral jsonb_object_keys(
          case when jsonb_typeof(recent.metadata) = 'object' then recent.metadata else '{}'::jsonb end
        ) as k(key)
        order by k.key
      `.execute(db);
      return rows.map((r) => r.key);
    },

    /** Every type stored in or configured for the OU, with its setting (or the defaults) and count. */
    async listSettings(scope: Tenant): Promise<EventTypeSettingRow[]> {
      const { rows } = await sql<EventTypeSettingRow>`
        with counts as (
          select event_type, count(*)::int as count from events
           where org_id = ${scope.orgId} and unit_id = ${scope.unitId}
           group by event_type
        ), settings as (
          select event_type, hidden, max_processing_scope, canonical_type from event_type_settings
           where org_id = ${scope.orgId} and unit_id = ${scope.unitId}
        )
        select coalesce(s.event_type, c.event_type) as event_type,
               coalesce(s.hidden, false) as hidden,
               coalesce(s.max_processing_scope, 'activate') as max_processing_scope,
               s.canonical_type,
               coalesce(c.count, 0) as count
          from settings s full join counts c on c.event_type = s.event_type
         order by 1
      `.execute(db);
      return rows;
    },

    /** Creates the OU's setting for the type or changes only the given fields. */
    upsertSetting(scope: Tenant, eventType: string, values: SettingValues) {
      const given: Updateable<EventTypeSettingsTable> = {};
      if (values.hidden !== undefined) given.hidden = values.hidden;
      if (values.max_processing_scope !== undefined) given.max_processing_scope = values.max_processing_scope;
      if (values.canonical_type !== undefined) given.canonical_type = values.canonical_type;
      return db
        .insertInto('event_type_settings')
        .values({ org_id: scope.orgId, unit_id: scope.unitId, event_type: eventType, ...DEFAULTS, ...given })
        .onConflict((oc) => oc.columns(['org_id', 'unit_id', 'event_type']).doUpdateSet({ ...given, updated_at: sql`now()` }))
        .returning(['event_type', 'hidden', 'max_processing_scope', 'canonical_type'])
        .executeTakeFirstOrThrow();
    },

    async countEvents(scope: Tenant, eventType: string): Promise<{ events: number; leads: number }> {
      return db
        .selectFrom('events')
        .select((eb) => [
          eb.fn.countAll<number>().as('events'),
          eb.fn.count<number>('lead_id').distinct().as('leads'),
        ])
        .where('org_id', '=', scope.orgId)
        .where('unit_id', '=', scope.unitId)
        .where('event_type', '=', eventType)
        .executeTakeFirstOrThrow();
    },

    /** Event-score rows (issue 4) of the type's events: they go with the events (on delete cascade). */
    async countEventScores(scope: Tenant, eventType: string): Promise<number> {
      const row = await db
        .selectFrom('event_scores')
        .innerJoin('events', (j) => j.onRef('events.org_id', '=', 'event_scores.org_id').onRef('events.id', '=', 'event_scores.event_id'))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('events.org_id', '=', scope.orgId)
        .where('events.unit_id', '=', scope.unitId)
        .where('events.event_type', '=', eventType)
        .executeTakeFirstOrThrow();
      return row.n;
    },

    /**
     * Deletes the type's events of the OU; answers the affected leads with how many of their events
     * went. Run it holding the OU's exclusive lock (src/db/locks.ts), then rescore those leads.
     */
    async deleteEvents(scope: Tenant, eventType: string): Promise<Array<{ lead_id: string; n: number }>> {
      const { rows } = await sql<{ lead_id: string; n: number }>`
        with deleted as (
          delete from events
          where org_id = ${scope.orgId} and unit_id = ${scope.unitId} and event_type = ${eventType}
          returning lead_id
        )
        select lead_id, count(*)::int as n from deleted group by lead_id`.execute(db);
      return rows;
    },
  };
}

export type EventTypesRepository = ReturnType<typeof createEventTypesRepository>;
