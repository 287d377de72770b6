import { sql, type Selectable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { windowSql, type DateWindow } from '../../http/date-window.js';
import type { EventsTable } from '../../db/types.js';
import { onOutcome, scoredAt, shownMetadata } from '../../db/event-outcomes.js';

export interface ActivityFilter {
  window: DateWindow;
  channel?: string;
  minScore?: number;
  maxLatency?: number;
  hasDelta: boolean;
}

export type ActivityEventRow = Pick<
  Selectable<EventsTable>,
  'id' | 'lead_id' | 'event_type' | 'channel' | 'metadata' | 'occurred_at' | 'received_at' | 'normalized' | 'normalized_parent' | 'raw_event_id' | 'scored_at'
> & { score_delta: number | null; latency_ms: number };

const scoreDelta = sql<number | null>`o.score_delta`;
const latencyMs = sql<number>`floor(extract(epoch from (e.received_at - e.occurred_at)) * 1000)::bigint`;

/**
 * A lead's events for its activity stream: canonical rows only (the raw row of a normalized pair
 * would show the same engagement twice), newest first, at most `cap` (events_unit_lead_time).
 */
export function listActivityEvents(db: Db, t: Tenant, leadId: string, f: ActivityFilter, cap: number): Promise<ActivityEventRow[]> {
  return db
    .selectFrom('events as e')
    .leftJoin('event_outcomes as o', onOutcome('e'))
    .select(['e.id', 'e.lead_id', 'e.event_type', 'e.channel', 'e.occurred_at', 'e.received_at', 'e.normalized', 'e.normalized_parent', 'e.raw_event_id'])
    .select([shownMetadata('e').as('metadata'), scoredAt('e').as('scored_at'), scoreDelta.as('score_delta'), latencyMs.as('latency_ms')])
    .where('e.org_id', '=', t.orgId)
    .where('e.unit_id', '=', t.unitId)
    .where('e.lead_id', '=', leadId)
    .where(sql<boolean>`not (e.normalized and not e.normalized_parent)`)
    .where(windowSql('e.occurred_at', f.window))
    .$if(f.channel !== undefined, (q) => q.where('e.channel', '=', f.channel as string))
    .$if(f.minScore !== undefined, (q) => q.where(sql<boolean>`coalesce(${scoreDelta}, 0) >= ${f.minScore}`))
    .$if(f.maxLatency !== undefined, (q) => q.where(sql<boolean>`${latencyMs} <= ${f.maxLatency}`))
    .$if(f.hasDelta, (q) => q.where(sql<boolean>`coalesce(${scoreDelta}, 0) <> 0`))
    .orderBy('e.occurred_at', 'desc')
    .orderBy('e.seq', 'desc')
    .limit(cap)
    .execute();
}
