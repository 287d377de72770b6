import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import { attributionSchema, dealBody, dealDetailSchema, dealListQuery, dealListSchema, dealParams, dealPatchBody } from './deals.schemas.js';
import { type DealsService } from './deals.service.js';

const tags = ['Deals and attribution'];

/** Deals and attribution insights (routes.md "Deals and attribution", semantics §8, seed 000, docs/deals.md). */
export async function dealsRoutes(app: FastifyInstance, deps: { service: DealsService }) {
  const { service } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/deals', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listDeals', summary: 'List deals (newest first)', querystring: dealListQuery, response: { 200: dealListSchema, ...errorResponses(400, 401, 403) } },
    handler: async (request) => service.list(tenantOf(request.auth), request.query),
  });
  r.post('/deals', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createDeal', summary: 'Create a deal (a milestone stage records its contacts’ scores)', body: dealBody, response: { 201: dealDetailSchema, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => reply.code(201).send(await service.create(tenantOf(request.auth), request.body)),
  });
  r.get('/deals/attribution-insights', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'getAttributionInsights', summary: 'Attribution insights across closed-won deals', response: { 200: attributionSchema, ...errorResponses(401, 403) } },
    handler: async (request) => service.insights(tenantOf(request.auth)),
  });
  r.get('/deals/:id', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'getDeal', summary: 'Deal with its contacts and recorded milestone scores', params: dealParams, response: { 200: dealDetailSchema, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => service.detail(tenantOf(request.auth), request.params.id),
  });
  r.patch('/deals/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'updateDeal', summary: 'Update a deal (entering a milestone stage records scores)', params: dealParams, body: dealPatchBody, response: { 200: dealDetailSchema, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => service.update(tenantOf(request.auth), request.params.id, request.body),
  });
  r.delete('/deals/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteDeal', summary: 'Delete a deal with its contacts and recorded scores', params: dealParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.remove(tenantOf(request.auth), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
