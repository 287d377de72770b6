// Types only, no imports: the server (live-hub.ts) and the dashboard (web/src/types.ts) share them.

/** Every live event name and its payload, shared by publishers, the SSE route and tests (house rule 18). */
export interface LiveEventMap {
  event_ingested: { event_id: string; lead_id: string; event_type: string; channel: string; occurred_at: string };
  score_update: { lead_id: string; ruleset_id: string; delta: number; score: number; level: string | null };
  surge: { lead_id: string; event_id: string; ruleset_id: string; multiplier: number; session_events: number };
  trigger_fired: TriggerFired;
}

/**
 * A trigger firing, published once the scoring pass that wrote it commits (docs/triggers.md).
 * `delivered` is false for a `decide`-scope event (recorded, nothing sent); `deliveries` counts the
 * delivery rows queued for its actions.
 */
export interface TriggerFired {
  firing_id: string;
  trigger_id: string;
  trigger_name: string;
  kind: 'milestone' | 'sequence' | 'pattern';
  lead_id: string;
  event_id: string;
  event_type: string;
  score: number | null;
  delivered: boolean;
  deliveries: number;
  occurred_at: string;
  fired_at: string;
}
