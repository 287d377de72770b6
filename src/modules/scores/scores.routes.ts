import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { toWindow } from '../../http/date-window.js';
import { errorResponses } from '../../http/responses.js';
import { eventExplainSchema, eventIdParams, gainItem, gainsQuery, historyItem, historyQuery, topLeadItem, topLeadsQuery } from './scores.schemas.js';
import type { ScoresService } from './scores.service.js';
import { tenantOf } from '../../auth/tenant.js';

/**
 * Reading scores: history, event explanations, analytics (routes.md "Analytics"). The score reads of
 * routes.md "Leads" are registered by the leads module (lead-scores.routes.ts) over the same service.
 */
export async function scoresRoutes(app: FastifyInstance, deps: { scores: ScoresService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.scores;
  const read = { access: access.ou('Viewer') };

  r.get('/score-history', {
    config: read,
    schema: {
      tags: ['Analytics'],
      operationId: 'scoreHistory',
      summary: 'Score history of a lead (every ruleset unless ruleset_id is given)',
      querystring: historyQuery,
      response: { 200: z.array(historyItem), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { lead_id, ruleset_id, start, end } = request.query;
      return service.history(tenantOf(request.auth), { lead_id, ruleset_id, window: toWindow(start, end) });
    },
  });

  r.get('/events/:eventID/explain', {
    config: read,
    schema: {
      tags: ['Events'],
      operationId: 'explainEvent',
      summary: 'Event score explanation: per ruleset rules, base, multiplier, delta, before/after',
      params: eventIdParams,
      response: { 200: eventExplainSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.explainEvent(tenantOf(request.auth), request.params.eventID),
  });

  r.get('/analytics/top-leads', {
    config: read,
    schema: {
      tags: ['Analytics'],
      operationId: 'topLeads',
      summary: 'Top leads by primary score',
      querystring: topLeadsQuery,
      response: { 200: z.array(topLeadItem), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.topLeads(tenantOf(request.auth), request.query.limit),
  });

  for (const [url, operationId] of [
    ['/analytics/score-gains', 'scoreGains'],
    ['/analytics/recent-score-gains', 'recentScoreGains'],
  ] as const) {
    r.get(url, {
      config: read,
      schema: {
        tags: ['Analytics'],
        operationId,
        summary: 'Recent score gains: leads by primary points gained in the last `hours`',
        querystring: gainsQuery,
        response: { 200: z.array(gainItem), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => service.scoreGains(tenantOf(request.auth), request.query.hours, request.query.limit),
    });
  }
}
