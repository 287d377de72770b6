import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { pageQuery } from '../../http/pagination.js';
import { errorResponses } from '../../http/responses.js';
import { leadScoreItem } from '../scores/scores.schemas.js';
import {
  countSchema,
  createRuleBody,
  segmentBody,
  segmentIdParams,
  segmentRuleParams,
  segmentRuleSchema,
  segmentSchema,
  toSegment,
  toSegmentRule,
  updateRuleBody,
} from './segments.schemas.js';
import { createSegmentsService, type SegmentsService } from './segments.service.js';

const tags = ['Segments'];

/** Segments and their rules (routes.md "Segments", semantics §6). */
export async function segmentsRoutes(app: FastifyInstance, deps: { db: Db }) {
  const service = createSegmentsService(deps);
  await segmentRoutes(app, service);
  await segmentRuleRoutes(app, service);
}

async function segmentRoutes(app: FastifyInstance, service: SegmentsService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/segments', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listSegments', summary: 'List segments', response: { 200: z.array(segmentSchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await service.list(tenantOf(request.auth))).map(toSegment),
  });
  r.post('/segments', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createSegment', summary: 'Create segment (a name is unique in its OU: 409)', body: segmentBody, response: { 201: segmentSchema, ...errorResponses(400, 401, 403, 409) } },
    handler: async (request, reply) => reply.code(201).send(toSegment(await service.create(tenantOf(request.auth), request.auth.memberId, request.body))),
  });
  r.put('/segments/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'updateSegment', summary: 'Update segment (fields left out keep their value)', params: segmentIdParams, body: segmentBody, response: { 200: segmentSchema, ...errorResponses(400, 401, 403, 404, 409) } },
    handler: async (request) => toSegment(await service.update(tenantOf(request.auth), request.auth.memberId, request.params.id, request.body)),
  });
  r.delete('/segments/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteSegment', summary: 'Delete segment and its rules', params: segmentIdParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.remove(tenantOf(request.auth), request.params.id);
      return reply.code(204).send(null);
    },
  });
  r.get('/segments/:id/count', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'countSegmentLeads', summary: 'Count leads in a segment', params: segmentIdParams, response: { 200: countSchema, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => ({ count: await service.count(tenantOf(request.auth), request.params.id) }),
  });
  r.get('/segments/:id/leads', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listSegmentLeads',
      summary: 'List leads in a segment (highest primary score first)',
      params: segmentIdParams,
      querystring: pageQuery,
      response: { 200: z.array(leadScoreItem), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => service.leads(tenantOf(request.auth), request.params.id, request.query.page, request.query.limit),
  });
}

async function segmentRuleRoutes(app: FastifyInstance, service: SegmentsService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/segments/:id/rules', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listSegmentRules', summary: 'List segment rules (evaluation order)', params: segmentIdParams, response: { 200: z.array(segmentRuleSchema), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => (await service.listRules(tenantOf(request.auth), request.params.id)).map(toSegmentRule),
  });
  r.post('/segments/:id/rules', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createSegmentRule', summary: 'Create segment rule', params: segmentIdParams, body: createRuleBody, response: { 201: segmentRuleSchema, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) =>
      reply.code(201).send(toSegmentRule(await service.createRule(tenantOf(request.auth), request.auth.memberId, request.params.id, request.body))),
  });
  r.put('/segments/:id/rules/:ruleId', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'updateSegmentRule', summary: 'Update segment rule (fields left out keep their value)', params: segmentRuleParams, body: updateRuleBody, response: { 200: segmentRuleSchema, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) =>
      toSegmentRule(await service.updateRule(tenantOf(request.auth), request.auth.memberId, request.params.id, request.params.ruleId, request.body)),
  });
  r.delete('/segments/:id/rules/:ruleId', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteSegmentRule', summary: 'Delete segment rule', params: segmentRuleParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.removeRule(tenantOf(request.auth), request.params.id, request.params.ruleId);
      return reply.code(204).send(null);
    },
  });
}
