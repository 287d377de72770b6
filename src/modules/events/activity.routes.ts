import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import { activityQuery, activitySchema } from './activity.schemas.js';
import { createActivityService } from './activity.service.js';
import { leadParams } from './events.schemas.js';

const tags = ['Events'];

/** The unified activity stream of one lead (routes.md "Events", docs/analytics.md). */
export async function activityRoutes(app: FastifyInstance, deps: Parameters<typeof createActivityService>[0]) {
  const service = createActivityService(deps);
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/leads/:leadID/activity', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'getLeadActivity',
      summary: 'Unified activity stream: events, orders (synthetic items) and the merged timeline',
      params: leadParams,
      querystring: activityQuery,
      response: { 200: activitySchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.activity(tenantOf(request.auth), request.params.leadID, request.query),
  });
}
