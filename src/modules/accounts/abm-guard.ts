import type { FastifyInstance } from 'fastify';
import { AppError } from '../../http/errors.js';
import type { ScoringService } from '../scoring/scoring.service.js';

/**
 * Every route of the plugin it is added to answers 403 `abm_disabled` while the organization's
 * `abm_enabled` scoring setting is false (routes.md "Profile and account (ABM) scoring"). An
 * onRequest hook of the encapsulated plugin: it runs after authentication and before validation,
 * so a caller without ABM learns that first, whatever it sent.
 */
export function addAbmGuard(app: FastifyInstance, scoring: Pick<ScoringService, 'getSettings'>): void {
  app.addHook('onRequest', async (request) => {
    const auth = request.auth;
    if (!auth?.unitId) return;
    const settings = await scoring.getSettings({ orgId: auth.orgId, unitId: auth.unitId });
    if (!settings.abm_enabled) throw new AppError('abm_disabled', 'account-based marketing is not enabled for this organization');
  });
}
