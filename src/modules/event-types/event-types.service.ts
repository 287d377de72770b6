import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { lockUnitExclusive } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import { AppError } from '../../http/errors.js';
import { queueLeadsRescore } from '../scoring-worker/rescore.js';
import { createEventTypesRepository } from './event-types.repository.js';
import type { SettingPatch } from './event-types.schemas.js';

/**
 * Deletes every event of the type in the OU and queues the affected leads for rescoring, in one
 * transaction with the count of the scores that go with them. OU-wide: the OU's exclusive lock
 * first (src/db/locks.ts), so no worker scores and no other delete rescores the OU meanwhile.
 */
async function deleteTypeAndRescore(trx: Db, scope: Tenant, eventType: string) {
  await lockUnitExclusive(trx, scope.unitId);
  const repo = createEventTypesRepository(trx);
  const scores = await repo.countEventScores(scope, eventType);
  const leads = await repo.deleteEvents(scope, eventType);
  await queueLeadsRescore(trx, scope, leads.map((l) => l.lead_id));
  return { events: leads.reduce((sum, l) => sum + l.n, 0), scores };
}

/** Event-type reads and the per-OU settings. */
export function createEventTypesService(deps: { db: Db }) {
  const { db } = deps;
  const repo = createEventTypesRepository(db);

  return {
    listVisible: (scope: Tenant) => repo.listVisible(scope),

    async properties(scope: Tenant, eventType: string) {
      return { event_type: eventType, properties: await repo.properties(scope, eventType) };
    },

    listSettings: (scope: Tenant) => repo.listSettings(scope),

    /** Upsert: a type no event has used yet may be configured ahead of its first event (semantics §2). */
    async updateSetting(scope: Tenant, eventType: string, patch: SettingPatch) {
      if (patch.canonical_type === eventType) {
        throw new AppError('validation_failed', 'canonical_type must differ from the event type', [
          { field: 'body.canonical_type', message: 'must differ from the event type; send null to clear it' },
        ]);
      }
      const setting = await repo.upsertSetting(scope, eventType, patch);
      const { events } = await repo.countEvents(scope, eventType);
      return { ...setting, count: events };
    },

    async deletePreview(scope: Tenant, eventType: string) {
      const [{ events, leads }, scores] = await Promise.all([
        repo.countEvents(scope, eventType),
        repo.countEventScores(scope, eventType),
      ]);
      return { event_type: eventType, events_count: events, event_scores_count: scores, leads_count: leads };
    },

    async deleteEvents(scope: Tenant, eventType: string) {
      const { events, scores } = await transactionWithRetry(db, (trx) => deleteTypeAndRescore(trx, scope, eventType));
      return { event_type: eventType, events_deleted: events, event_scores_deleted: scores };
    },
  };
}
