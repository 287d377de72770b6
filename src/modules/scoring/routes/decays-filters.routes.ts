import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
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
  const { decays } = deps.service;
  const tags = ['Decays'];

  r.get('/decays', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listDecays', summary: 'List score decay rules', response: { 200: z.array(decaySchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await decays.list(tenantOf(request.auth))).map(toDecay),
  });
  r.post('/decays', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createDecay', summary: 'Create score decay rule', body: createDecayBody, response: { 201: decaySchema, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => reply.code(201).send(toDecay(await decays.create(tenantOf(request.auth), request.body))),
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
    handler: async (request) => toDecay(await decays.update(tenantOf(request.auth), request.params.id, request.body)),
  });
  r.delete('/decays/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteDecay', summary: 'Delete score decay rule', params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await decays.delete(tenantOf(request.auth), request.params.id);
      return reply.code(204).send(null);
    },
  });
}

export async function filtersRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { filters } = deps.service;
  const tags = ['Filters'];

  r.get('/filters', {
    config: { access: access.ou('Viewer') },
    schema: { tags, operationId: 'listFilters', summary: 'List inorganic filters', response: { 200: z.array(filterSchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await filters.list(tenantOf(request.auth))).map(toFilter),
  });
  r.post('/filters', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'createFilter', summary: 'Create inorganic filter', body: createFilterBody, response: { 201: filterSchema, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) =>
      reply.code(201).send(toFilter(await filters.create(tenantOf(request.auth), request.auth.memberId, request.body))),
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
    handler: async (request) => toFilter(await filters.update(tenantOf(request.auth), request.auth.memberId, request.params.id, request.body)),
  });
  r.delete('/filters/:id', {
    config: { access: access.ou('Operator') },
    schema: { tags, operationId: 'deleteFilter', summary: 'Delete inorganic filter', params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await filters.delete(tenantOf(request.auth), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
