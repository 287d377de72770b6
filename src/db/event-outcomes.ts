import { sql, type JoinBuilder, type RawBuilder } from 'kysely';
import type { JsonObject } from './types.js';

/**
 * An event as readers show it: the scoring worker writes what it decided about an event (scored_at,
 * the server's metadata keys, the burst root) into `event_outcomes`, not into `events`
 * (migrations/0071), so every read of those joins the outcome, aliased `o`, with `outcomeJoin`.
 * `e` is the alias (or table name) of the events row in the query.
 */
export function outcomeJoin(e: string): RawBuilder<unknown> {
  return sql`left join event_outcomes o on o.org_id = ${sql.ref(`${e}.org_id`)} and o.event_id = ${sql.ref(`${e}.id`)}`;
}

/** The same join for the query builder: `.leftJoin('event_outcomes as o', onOutcome('e'))`. */
export function onOutcome(e: string) {
  // `any`: the helper serves any query's events alias; onRef checks nothing more at this depth.
  return <J extends JoinBuilder<any, any>>(j: J): J => j.onRef('o.org_id', '=', `${e}.org_id`).onRef('o.event_id', '=', `${e}.id`) as J;
}

/**
 * The top-level metadata keys the scoring worker writes, into the outcome's patch. Ingestion drops
 * them from client metadata, so any other key is answered by `events.metadata` alone.
 */
export const WORKER_METADATA_KEYS: readonly string[] = ['score_delta', 'inorganic', 'grouped_into', 'scoring_error'];

/** Whether reading the metadata path `path` (dotted: its first segment is the top-level key) needs the outcome. */
export function needsOutcome(path: string): boolean {
  return WORKER_METADATA_KEYS.includes(path.split('.')[0] ?? path);
}

/** The event's metadata with the worker's keys over it (score_delta, inorganic, grouped_into, scoring_error). */
export function shownMetadata(e: string): RawBuilder<JsonObject> {
  return sql<JsonObject>`(${sql.ref(`${e}.metadata`)} || coalesce(o.patch, '{}'::jsonb))`;
}

/** When the event was scored: by the worker (its outcome), or at ingestion (an observe-scope event). */
export function scoredAt(e: string): RawBuilder<Date | null> {
  return sql<Date | null>`coalesce(o.scored_at, ${sql.ref(`${e}.scored_at`)})`;
}
