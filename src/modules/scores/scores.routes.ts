import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { errorResponses } from '../../http/responses.js';
import {
  batchScoreItem,
  batchScoresBody,
  eventExplainSchema,
  eventIdParams,
  gainItem,
  gainsQuery,
  historyItem,
  historyQuery,
  leadExplainQuery,
  leadExplainSchema,
  leadIdParams,
  leadListSchema,
  leadScoreQuery,
  leadScoreSchema,
  listLeadsQuery,
  topLeadItem,
  topLeadsQuery,
} from './scores.schemas.js';
import { createScoresService } from './scores.service.js';
import { tenantOf } from '../../auth/tenant.js';


/** Reading scores: lead lists and scores, history, explanations (routes.md "Leads", "Analytics"). */
export async function scoresRoutes(app: FastifyInstance, deps: { db: Db }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createScoresService(deps);
  const read = { access: access.ou('Viewer') };

  r.get('/leads', {
    config: read,
    schema: {
      tags: ['Leads'],
      operationId: 'listLeadScores',
      summary: 'List lead scores (primary ruleset) with filters and pagination metadata',
      querystring: listLeadsQuery,
      response: { 200: leadListSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.listLeads(tenantOf(request.auth), request.query),
  });

  r.get('/leads/:leadID/score', {
    config: read,
    schema: {
      tags: ['Leads'],
      operationId: 'getLeadScore',
      summary: 'Lead score (ruleset_id optional: else the highest across the OU’s rulesets)',
      params: leadIdParams,
      querystring: leadScoreQuery,
      response: { 200: leadScoreSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.leadScore(tenantOf(request.auth), request.params.leadID, request.query.ruleset_id),
  });

  r.post('/leads/scores', {
    config: read,
    schema: {
      tags: ['Leads'],
      operationId: 'batchLeadScores',
      summary: 'Batch lead scores of visible leads (primary ruleset by default; 0s when there is no primary)',
      body: batchScoresBody,
      response: { 200: z.array(batchScoreItem), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.batchScores(tenantOf(request.auth), request.body.lead_ids, request.body.ruleset),
  });

  r.get('/score-history', {
    config: read,
    schema: {
      tags: ['Analytics'],
      operationId: 'scoreHistory',
      summary: 'Score history of a lead (every ruleset unless ruleset_id is given)',
      querystring: historyQuery,
      response: { 200: z.array(historyItem), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.history(tenantOf(request.auth), request.query),
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

  r.get('/leads/:leadID/explain', {
    config: read,
    schema: {
      tags: ['Leads'],
      operationId: 'explainLeadScore',
      summary: 'Score explanation: top drivers, rule weights snapshot, surge boosts, decay in the window',
      params: leadIdParams,
      querystring: leadExplainQuery,
      response: { 200: leadExplainSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.explainLead(tenantOf(request.auth), request.params.leadID, request.query.hours),
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
