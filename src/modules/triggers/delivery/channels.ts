import type { DeliveryKind, JsonValue } from '../../../db/types.js';

/** What a channel gets to send: the outbox row's parts that matter to it. */
export interface OutgoingDelivery {
  id: string;
  org_id: string;
  unit_id: string;
  kind: DeliveryKind;
  target: JsonValue;
  payload: JsonValue;
  /** 1-based attempt number over the delivery's life. */
  attempt: number;
  event_received_at: Date | null;
}

/**
 * How one send went. `skipped` (with `error` saying why): nothing was sent and nothing will be
 * retried (no SMTP configured, no Slack connection). `retryable` failures are tried again with
 * back-off until the attempts run out; others fail at once.
 */
export interface SendResult {
  ok: boolean;
  skipped?: boolean;
  httpStatus?: number;
  error?: string;
  retryable: boolean;
}

/** A way to deliver: one per kind (webhook, email, slack). */
export interface DeliveryChannel {
  kind: DeliveryKind;
  send(delivery: OutgoingDelivery): Promise<SendResult>;
}

/**
 * The channels of one app: webhook and email are built in; the Slack module registers its own
 * (`registerDeliveryChannel`). A kind without a channel is recorded `skipped`, saying so.
 */
export function createChannelRegistry(initial: DeliveryChannel[] = []) {
  const channels = new Map<DeliveryKind, DeliveryChannel>(initial.map((c) => [c.kind, c]));
  return {
    register(channel: DeliveryChannel): void {
      channels.set(channel.kind, channel);
    },
    get: (kind: DeliveryKind) => channels.get(kind),
  };
}

export type ChannelRegistry = ReturnType<typeof createChannelRegistry>;

export const skipped = (why: string): SendResult => ({ ok: false, skipped: true, error: why, retryable: false });
