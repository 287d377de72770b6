import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
import { errorResponses } from '../../../http/responses.js';
import { createRulesetBody, createRuleBody, idParams, ruleSchema, rulesetSchema, toRule, toRuleset, updateRuleBody } from '../scoring.schemas.js';
import { type ScoringService } from '../scoring.service.js';
import { tenantOf } from '../../../auth/tenant.js';

export async function rulesetsRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { service } = deps;

  r.get('/rulesets', {
    config: { access: access.ou('Viewer') },
    schema: { tags: ['RuleSets'], operationId: 'listRulesets', summary: 'List scoring rule sets', response: { 200: z.array(rulesetSchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await service.listRulesets(tenantOf(request.auth))).map(toRuleset),
  });

  r.post('/rulesets', {
    config: { access: access.ou('Operator') },
    schema: {
      tags: ['RuleSets'],
      operationId: 'createRuleset',
      summary: 'Create scoring rule set (is_primary moves the primary flag to it)',
      body: createRulesetBody,
      response: { 201: rulesetSchema, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(toRuleset(await service.createRuleset(tenantOf(request.auth), request.body))),
  });

  r.delete('/rulesets/:id', {
    config: { access: access.ou('Operator') },
    schema: {
      tags: ['RuleSets'],
      operationId: 'deleteRuleset',
      summary: 'Delete a scoring rule set with its rules and scores',
      params: idParams,
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404, 503) },
    },
    handler: async (request, reply) => {
      await service.deleteRuleset(tenantOf(request.auth), request.params.id);
      return reply.code(204).send(null);
    },
  });

  r.get('/rulesets/:id/rules', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags: ['Rules'],
      operationId: 'listRulesetRules',
      summary: 'List scoring rules in a set',
      params: idParams,
      response: { 200: z.array(ruleSchema), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => (await service.listRulesOf(tenantOf(request.auth), request.params.id)).map(toRule),
  });

  r.get('/rules', {
    config: { access: access.ou('Viewer') },
    schema: { tags: ['Rules'], operationId: 'listRules', summary: 'List scoring rules', response: { 200: z.array(ruleSchema), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await service.listRules(tenantOf(request.auth))).map(toRule),
  });

  r.post('/rules', {
    config: { access: access.ou('Operator') },
    schema: {
      tags: ['Rules'],
      operationId: 'createRule',
      summary: 'Create scoring rule (ruleset_id omitted → the primary set)',
      body: createRuleBody,
      response: { 201: ruleSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      reply.code(201).send(toRule(await service.createRule(tenantOf(request.auth), request.auth.memberId, request.body))),
  });

  r.put('/rules/:id', {
    config: { access: access.ou('Operator') },
    schema: {
      tags: ['Rules'],
      operationId: 'updateRule',
      summary: 'Update scoring rule (fields given replace the stored ones)',
      params: idParams,
      body: updateRuleBody,
      response: { 200: ruleSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => toRule(await service.updateRule(tenantOf(request.auth), request.auth.memberId, request.params.id, request.body)),
  });

  r.delete('/rules/:id', {
    config: { access: access.ou('Operator') },
    schema: {
      tags: ['Rules'],
      operationId: 'deleteRule',
      summary: 'Delete scoring rule',
      params: idParams,
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      await service.deleteRule(tenantOf(request.auth), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
