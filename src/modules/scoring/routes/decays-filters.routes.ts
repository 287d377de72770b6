import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
import { notFound } from '../../../http/errors.js';
import { errorResponses } from '../../../http/responses.js';
import {
  createDecayBody,
  createFilterBody,
  decaySchema,
  filterSchema,
  idParams,
  toDecay,
  toFilter,
  updateDecayBody,
  updateFilterBody,
} from '../scoring.schemas.js';
import { type ScoringService } from '../scoring.service.js';
import { tenantOf } from '../../../auth/tenant.js';

export async function decaysRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { repo } = deps.service;
  const tags = ['Decays'];

  r.get('/decays', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listDecays', summary: 'List score decay rules', response: { 200: z.array(decaySchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await repo.listDecays(tenantOf(request.auth))).map(toDecay),
  });
  r.post('/decays', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createDecay', summary: 'Create score decay rule', body: createDecayBody, response: { 201: decaySchema, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      const t = tenantOf(request.auth);
      return reply.code(201).send(toDecay(await repo.createDecay({ org_id: t.orgId, unit_id: t.unitId, ...request.body })));
    },
  });
  r.put('/decays/:id', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'updateDecay',
      summary: 'Update score decay rule',
      params: idParams,
      body: updateDecayBody,
      response: { 200: decaySchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const row = await repo.updateDecay(tenantOf(request.auth), request.params.id, request.body);
      if (!row) throw notFound('decay rule');
      return toDecay(row);
    },
  });
  r.delete('/decays/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteDecay', summary: 'Delete score decay rule', params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      if (!(await repo.deleteDecay(tenantOf(request.auth), request.params.id))) throw notFound('decay rule');
      return reply.code(204).send(null);
    },
  });
}

export async function filtersRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { repo } = deps.service;
  const tags = ['Filters'];

  r.get('/filters', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listFilters', summary: 'List inorganic filters', response: { 200: z.array(filterSchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await repo.listFilters(tenantOf(request.auth))).map(toFilter),
  });
  r.post('/filters', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createFilter', summary: 'Create inorganic filter', body: createFilterBody, response: { 201: filterSchema, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      const t = tenantOf(request.auth);
      const by = request.auth.memberId;
      const row = await repo.createFilter({ org_id: t.orgId, unit_id: t.unitId, ...request.body, created_by: by, updated_by: by });
      return reply.code(201).send(toFilter(row));
    },
  });
  r.put('/filters/:id', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'updateFilter',
      summary: 'Update inorganic filter',
      params: idParams,
      body: updateFilterBody,
      response: { 200: filterSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const row = await repo.updateFilter(tenantOf(request.auth), request.params.id, { ...request.body, updated_by: request.auth.memberId });
      if (!row) throw notFound('filter');
      return toFilter(row);
    },
  });
  r.delete('/filters/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteFilter', summary: 'Delete inorganic filter', params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      if (!(await repo.deleteFilter(tenantOf(request.auth), request.params.id))) throw notFound('filter');
      return reply.code(204).send(null);
    },
  });
}
