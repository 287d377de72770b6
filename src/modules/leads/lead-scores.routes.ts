import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import {
  batchScoreItem,
  batchScoresBody,
  leadExplainQuery,
  leadExplainSchema,
  leadListSchema,
  leadScoreQuery,
  leadScoreSchema,
  listLeadsQuery,
} from '../scores/scores.schemas.js';
import type { ScoresService } from '../scores/scores.service.js';
import { leadParamsSchema } from './leads.schemas.js';

/**
 * The score reads of routes.md "Leads": registered here so every route tagged Leads is found in
 * this module; the reads themselves stay in the scores module (ScoresService).
 */
export async function leadScoresRoutes(app: FastifyInstance, deps: { scores: ScoresService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.scores;
  const read = { access: access.ou('Viewer') };
  const tags = ['Leads'];

  r.get('/leads', {
    config: read,
    schema: {
      tags,
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
      tags,
      operationId: 'getLeadScore',
      summary: 'Lead score (ruleset_id optional: else the highest across the OU’s rulesets)',
      params: leadParamsSchema,
      querystring: leadScoreQuery,
      response: { 200: leadScoreSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.leadScore(tenantOf(request.auth), request.params.leadID, request.query.ruleset_id),
  });

  r.post('/leads/scores', {
    config: read,
    schema: {
      tags,
      operationId: 'batchLeadScores',
      summary: 'Batch lead scores of visible leads (primary ruleset by default; 0s when there is no primary)',
      body: batchScoresBody,
      response: { 200: z.array(batchScoreItem), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.batchScores(tenantOf(request.auth), request.body.lead_ids, request.body.ruleset),
  });

  r.get('/leads/:leadID/explain', {
    config: read,
    schema: {
      tags,
      operationId: 'explainLeadScore',
      summary: 'Score explanation: top drivers, rule weights snapshot, surge boosts, decay in the window',
      params: leadParamsSchema,
      querystring: leadExplainQuery,
      response: { 200: leadExplainSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.explainLead(tenantOf(request.auth), request.params.leadID, request.query.hours),
  });
}
