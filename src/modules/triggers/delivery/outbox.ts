import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../../../config.js';
import type { Database } from '../../../db/database.js';
import { createChannelRegistry, type DeliveryChannel } from './channels.js';
import { readWebhookSecret } from '../../org/webhook-secret.js';
import { createDeliverySender } from './delivery-sender.js';
import { createEmailChannel } from './email-channel.js';
import { createWebhookChannel } from './webhook-channel.js';

/**
 * The delivery outbox of one app: the built-in webhook and email channels, the registry other
 * modules add channels to (Slack: `registerDeliveryChannel`), and the sender.
 */
export function createDeliveryOutbox(deps: { config: Config['deliveries']; database: Database; log: FastifyBaseLogger; registry?: Registry }) {
  const { config, database } = deps;
  const webhook = createWebhookChannel({ secretOf: async (orgId) => (await readWebhookSecret(database.db, orgId)).secret, allowPrivate: config.allowPrivateWebhooks, timeoutMs: config.timeoutMs });
  const email = createEmailChannel({ smtpUrl: config.smtpUrl, from: config.smtpFrom, timeoutMs: config.timeoutMs });
  const channels = createChannelRegistry([webhook, email]);
  const sender = createDeliverySender({ database, log: deps.log, registry: deps.registry, channels, ...config });
  return {
    sender,
    /** Adds (or replaces) the channel of a kind, e.g. the Slack module's `{kind: 'slack', send}`. */
    registerDeliveryChannel: (channel: DeliveryChannel) => channels.register(channel),
    start: () => sender.start(),
    async stop(): Promise<void> {
      await sender.stop();
      webhook.close();
      email.close();
    },
  };
}

export type DeliveryOutbox = ReturnType<typeof createDeliveryOutbox>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The delivery outbox: tests await deliveries.sender.drain(); the Slack module calls registerDeliveryChannel. */
    deliveries: DeliveryOutbox;
  }
}
