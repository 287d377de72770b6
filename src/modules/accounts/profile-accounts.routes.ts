import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import type { ScoringService } from '../scoring/scoring.service.js';
import { addAbmGuard } from './abm-guard.js';
import { accountsRoutes } from './accounts.routes.js';
import type { AccountsService } from './accounts.service.js';
import type { ProfilesService } from './profiles.service.js';
import { mappingRoutes, rulesetRoutes, TAG } from './property-scoring.routes.js';
import type { PropertyScoringService } from './property-scoring.service.js';

export interface ProfileAccountsDeps {
  properties: PropertyScoringService;
  profiles: ProfilesService;
  accounts: AccountsService;
  scoring: Pick<ScoringService, 'getSettings'>;
}

const keysSchema = z.array(z.string());

/** routes.md "Profile and account (ABM) scoring": /profile… always, /account… and /accounts… only with ABM on. */
export async function profileAccountsRoutes(app: FastifyInstance, deps: ProfileAccountsDeps) {
  const { properties: service } = deps;
  await app.register(mappingRoutes, { kind: 'profile', root: '/profile', service });
  await app.register(rulesetRoutes, { kind: 'profile', root: '/profile', service });
  app.withTypeProvider<ZodTypeProvider>().get('/profile/properties', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags: [TAG],
      operationId: 'listProfileProperties',
      summary: 'Distinct top-level metadata keys of the OU’s leads, sorted (at most 1000)',
      response: { 200: keysSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => deps.profiles.properties(tenantOf(request.auth)),
  });
  await app.register(async (abm) => {
    addAbmGuard(abm, deps.scoring);
    await abm.register(mappingRoutes, { kind: 'account', root: '/account', service });
    await abm.register(rulesetRoutes, { kind: 'account', root: '/account', service });
    await abm.register(accountsRoutes, { accounts: deps.accounts });
  });
}
