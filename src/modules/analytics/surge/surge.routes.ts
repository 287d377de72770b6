import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../../auth/access.js';
import type { Db } from '../../../db/database.js';
import { errorResponses } from '../../../http/responses.js';
import { surgeMetricsSchema, surgeParams, surgeQuery } from './surge.schemas.js';
import { createSurgeService } from './surge.service.js';

/** Surge metrics of one OU (routes.md "Analytics"; docs/session-insights.md "Surge metrics"). */
export async function surgeRoutes(app: FastifyInstance, deps: { db: Db }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createSurgeService(deps);
  r.get('/org-units/:ouId/surge-metrics', {
    // JWT only; membership of the OU in the path is checked by the service (403), like /org-units/{id}/members.
    config: { access: access.member },
    schema: {
      tags: ['Analytics'],
      operationId: 'surgeMetrics',
      summary: 'Surge metrics of an OU: totals, peak bucket, channels and a series per 15m, 1h or 1d',
      params: surgeParams,
      querystring: surgeQuery,
      response: { 200: surgeMetricsSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.metrics(request.auth, request.params.ouId, request.query),
  });
}
