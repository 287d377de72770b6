import type { DeliveryChannel, OutgoingDelivery, SendResult } from '../triggers/delivery/channels.js';
import type { SendSlackMessage, SlackTarget } from './slack.sender.js';

interface FiringPayload {
  lead_id?: string;
  score?: number;
  trigger?: { name?: string | null; kind?: string };
  event?: { event_type?: string; occurred_at?: string };
}

/** A trigger's Slack action: a channel or user, or the OU's default target (`default` or no id). */
function targetOf(target: OutgoingDelivery['target']): SlackTarget | null {
  const t = (target ?? {}) as { target_kind?: string; target_id?: string | null };
  if ((t.target_kind === 'channel' || t.target_kind === 'user') && t.target_id) return { kind: t.target_kind, id: t.target_id };
  return null;
}

function textOf(p: FiringPayload): string {
  const name = p.trigger?.name ?? p.trigger?.kind ?? 'trigger';
  return `:zap: *${name}* fired for lead \`${p.lead_id}\` on ${p.event?.event_type} at ${p.event?.occurred_at} (score ${p.score}).`;
}

/** Reasons a Slack action cannot be sent that no retry will change: the delivery is recorded `skipped`. */
const NOT_SENDABLE = new Set(['not_connected', 'no_target']);

/** The outbox's `slack` channel (docs/slack.md): a firing posted as the OU's bot. */
export function createSlackDeliveryChannel(send: SendSlackMessage): DeliveryChannel {
  return {
    kind: 'slack',
    async send(d): Promise<SendResult> {
      const result = await send(d.org_id, d.unit_id, targetOf(d.target), { text: textOf(d.payload as FiringPayload) });
      if (!result.ok && result.error && NOT_SENDABLE.has(result.error)) return { ok: false, skipped: true, error: result.error, retryable: false };
      return {
        ok: result.ok,
        retryable: result.retryable,
        ...(result.httpStatus !== undefined && { httpStatus: result.httpStatus }),
        ...(result.error !== undefined && { error: result.error }),
      };
    },
  };
}
