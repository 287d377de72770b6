import { WORKER_METADATA_KEYS } from '../../db/event-outcomes.js';

/**
 * Event types and metadata keys that belong to the server (semantics §2). Defined once: ingestion
 * refuses the types, the event-type settings refuse them as a canonical_type, and the decay
 * scheduler is the only writer of DECAY events.
 */

/** The system event the decay scheduler creates (semantics §4). */
export const DECAY_EVENT_TYPE = 'DECAY';

/** Types only the server writes; compared case-insensitively. */
export const RESERVED_EVENT_TYPES: readonly string[] = [DECAY_EVENT_TYPE];

const reserved = new Set(RESERVED_EVENT_TYPES.map((t) => t.toUpperCase()));

export function isReservedEventType(eventType: string): boolean {
  return reserved.has(eventType.toUpperCase());
}

export const RESERVED_TYPE_MESSAGE = `${RESERVED_EVENT_TYPES.join(', ')} (any case) is reserved for events the server creates`;

/**
 * Top-level metadata keys the server writes on events: the scoring worker (score_delta, inorganic,
 * grouped_into, scoring_error) and the decay scheduler (decay_id, decrease). Ingestion drops them
 * from client metadata, so a stored value of one of them always comes from the server; the engine
 * reads none of them in any case (it reads server-owned columns).
 */
export const SERVER_METADATA_KEYS: readonly string[] = [...WORKER_METADATA_KEYS, 'decay_id', 'decrease'];
