import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { needsOutcome, outcomeJoin, shownMetadata } from '../../db/event-outcomes.js';

/** The lead a correlated events subquery belongs to: expressions of the outer query. */
export interface LeadKeyRefs {
  orgId: Expression<string>;
  unitId: Expression<string>;
  leadId: Expression<string>;
}

/**
 * `exists` an event of the lead (of `eventType` when given) whose metadata at `path` passes `test`:
 * the events table's side of a segment's `event_metadata` rule, served by events_unit_lead_time.
 * The event's outcome is joined only for a key the scoring worker writes (score_delta, …).
 */
export function leadHasEvent(
  lead: LeadKeyRefs,
  eventType: string | null,
  path: string,
  test: (metadata: Expression<unknown>) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  const byType = eventType === null ? sql`` : sql`and e.event_type = ${eventType}`;
  const outcome = needsOutcome(path);
  return sql<SqlBool>`exists (select 1 from events e ${outcome ? outcomeJoin('e') : sql``}
    where e.org_id = ${lead.orgId} and e.unit_id = ${lead.unitId} and e.lead_id = ${lead.leadId} ${byType}
    and ${test(outcome ? shownMetadata('e') : sql.ref('e.metadata'))})`;
}
