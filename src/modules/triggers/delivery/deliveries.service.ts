import type { Tenant } from '../../../auth/tenant.js';
import type { Db } from '../../../db/database.js';
import { conflict, notFound } from '../../../http/errors.js';
import { readWebhookSecret, rotateWebhookSecret } from '../../org/webhook-secret.js';
import { createDeliveriesRepository, type DeliveryFilter } from './deliveries.repository.js';

/** The outbox as the API shows it: deliveries with their attempts, replay, the org's webhook secret. */
export function createDeliveriesService(deps: { db: Db; onReplay?: () => void }) {
  const repo = createDeliveriesRepository(deps.db);
  return {
    async list(t: Tenant, f: DeliveryFilter, page: number, limit: number) {
      const rows = await repo.list(t, f, limit, (page - 1) * limit);
      const attempts = await repo.attemptsOf(t.orgId, rows.map((r) => r.id));
      return rows.map((r) => ({ ...r, attempt_log: attempts.filter((a) => a.delivery_id === r.id) }));
    },
    async replay(t: Tenant, id: string) {
      const row = await repo.replay(t, id);
      if (!row) {
        if (await repo.find(t, id)) throw conflict('the delivery is being sent right now; replay it after this attempt');
        throw notFound('delivery');
      }
      await repo.notify();
      deps.onReplay?.();
      return { ...row, attempt_log: await repo.attemptsOf(t.orgId, [row.id]) };
    },
    webhookSecret: (orgId: string) => readWebhookSecret(deps.db, orgId),
    rotateWebhookSecret: (orgId: string) => rotateWebhookSecret(deps.db, orgId),
  };
}

export type DeliveriesService = ReturnType<typeof createDeliveriesService>;
