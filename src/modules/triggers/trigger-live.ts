import type { LiveMessage, TriggerFired } from '../../live/live-hub.js';
import type { AfterScoring } from '../scoring-worker/scoring.engine.js';
import { fireTriggers, type WrittenFiring } from './trigger-firing.js';

/** The `trigger_fired` message of a written firing (docs/triggers.md "Live"). */
export function toTriggerFired(f: WrittenFiring): TriggerFired {
  return {
    firing_id: f.id,
    trigger_id: f.trigger_id,
    trigger_name: f.trigger_name,
    kind: f.kind as TriggerFired['kind'],
    lead_id: f.lead_id,
    event_id: f.event_id,
    event_type: f.event_type,
    score: f.score,
    delivered: f.delivered,
    deliveries: f.deliveries,
    occurred_at: new Date(f.event_at).toISOString(),
    fired_at: f.fired_at,
  };
}

/**
 * The scoring worker's afterScoring: evaluates triggers in the pass's transaction and answers one
 * `trigger_fired` message per firing written, which the worker publishes once the pass commits.
 */
export const fireTriggersLive: AfterScoring = async (trx, result) => {
  const firings = await fireTriggers(trx, result);
  return firings.map((f): LiveMessage<'trigger_fired'> => ({ unitId: f.unit_id, name: 'trigger_fired', data: toTriggerFired(f) }));
};
