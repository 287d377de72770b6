import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import type { PropertyKind } from '../../db/types.js';
import { errorResponses } from '../../http/responses.js';
import { idParams, propertyField, propertySchemas, ruleParams, toMapping, toRule, toRuleset } from './property-scoring.schemas.js';
import type { PropertyScoringService } from './property-scoring.service.js';

export const TAG = 'Profile and account scoring';
const read = { access: access.ou('Viewer') };
const write = { access: access.ou('Operator') };
const title = (kind: PropertyKind) => (kind === 'profile' ? 'Profile' : 'Account');

/** /<prefix>/mappings: field mappings of one kind. */
export async function mappingRoutes(app: FastifyInstance, deps: { kind: PropertyKind; root: string; service: PropertyScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { kind, root, service } = deps;
  const s = propertySchemas(kind, propertyField(kind));
  const base = `${root}/mappings`;
  const K = title(kind);
  const toApi = (row: Parameters<typeof toMapping>[1]) => toMapping(kind, row) as z.infer<typeof s.mapping>;
  const input = (b: z.infer<typeof s.mappingBody>) => ({ source_field: b.source_field, property: b[s.field as keyof typeof b] as string, update_behavior: b.update_behavior });

  r.get(base, {
    config: read,
    schema: { tags: [TAG], operationId: `list${K}Mappings`, summary: `List ${kind} field mappings`, response: { 200: z.array(s.mapping), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await service.listMappings(tenantOf(request.auth), kind)).map(toApi),
  });
  r.post(base, {
    config: write,
    schema: {
      tags: [TAG],
      operationId: `create${K}Mapping`,
      summary: `Create ${kind} field mapping (the same source field onto the same property twice: 409)`,
      body: s.mappingBody,
      response: { 201: s.mapping, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(toApi(await service.createMapping(tenantOf(request.auth), kind, input(request.body)))),
  });
  r.put(`${base}/:id`, {
    config: write,
    schema: {
      tags: [TAG],
      operationId: `update${K}Mapping`,
      summary: `Update ${kind} field mapping`,
      params: idParams,
      body: s.mappingBody,
      response: { 200: s.mapping, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => toApi(await service.updateMapping(tenantOf(request.auth), kind, request.params.id, input(request.body))),
  });
  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags: [TAG], operationId: `delete${K}Mapping`, summary: `Delete ${kind} field mapping`, params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.deleteMapping(tenantOf(request.auth), kind, request.params.id);
      return reply.code(204).send(null);
    },
  });
}

/** /<prefix>/rulesets and their rules, of one kind. */
export async function rulesetRoutes(app: FastifyInstance, deps: { kind: PropertyKind; root: string; service: PropertyScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { kind, root, service } = deps;
  const s = propertySchemas(kind, propertyField(kind));
  const base = `${root}/rulesets`;
  const K = title(kind);
  const ruleToApi = (row: Parameters<typeof toRule>[1]) => toRule(kind, row) as z.infer<typeof s.rule>;
  const ruleInput = <B extends Record<string, unknown>>(b: B) => {
    const { [s.field]: property, ...rest } = b;
    return { ...rest, ...(property !== undefined && { property }) } as never;
  };

  r.get(base, {
    config: read,
    schema: { tags: [TAG], operationId: `list${K}RuleSets`, summary: `List ${kind} rule sets`, response: { 200: z.array(s.ruleset), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await service.listRulesets(tenantOf(request.auth), kind)).map(toRuleset),
  });
  r.post(base, {
    config: write,
    schema: {
      tags: [TAG],
      operationId: `create${K}RuleSet`,
      summary: `Create ${kind} rule set (is_primary demotes the previous primary; a taken name: 409)`,
      body: s.rulesetBody,
      response: { 201: s.ruleset, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(toRuleset(await service.createRuleset(tenantOf(request.auth), kind, request.body))),
  });
  r.put(`${base}/:id`, {
    config: write,
    schema: {
      tags: [TAG],
      operationId: `update${K}RuleSet`,
      summary: `Update ${kind} rule set`,
      params: idParams,
      body: s.rulesetBody,
      response: { 200: s.ruleset, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => toRuleset(await service.updateRuleset(tenantOf(request.auth), kind, request.params.id, request.body)),
  });
  r.delete(`${base}/:id`, {
    config: write,
    schema: { tags: [TAG], operationId: `delete${K}RuleSet`, summary: `Delete ${kind} rule set with its rules`, params: idParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.deleteRuleset(tenantOf(request.auth), kind, request.params.id);
      return reply.code(204).send(null);
    },
  });
  r.get(`${base}/:id/rules`, {
    config: read,
    schema: { tags: [TAG], operationId: `list${K}Rules`, summary: `List ${kind} rules in a set`, params: idParams, response: { 200: z.array(s.rule), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => (await service.listRules(tenantOf(request.auth), kind, request.params.id)).map(ruleToApi),
  });
  r.post(`${base}/:id/rules`, {
    config: write,
    schema: {
      tags: [TAG],
      operationId: `create${K}Rule`,
      summary: `Create ${kind} rule (a segment operator of semantics §6; gt/gte/lt/lte need a numeric comparison_value)`,
      params: idParams,
      body: s.createRuleBody,
      response: { 201: s.rule, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) =>
      reply.code(201).send(ruleToApi(await service.createRule(tenantOf(request.auth), kind, request.params.id, ruleInput(request.body)))),
  });
  r.put(`${base}/:id/rules/:ruleId`, {
    config: write,
    schema: {
      tags: [TAG],
      operationId: `update${K}Rule`,
      summary: `Update ${kind} rule (fields given replace the stored ones)`,
      params: ruleParams,
      body: s.updateRuleBody,
      response: { 200: s.rule, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) =>
      ruleToApi(await service.updateRule(tenantOf(request.auth), kind, request.params.id, request.params.ruleId, ruleInput(request.body))),
  });
  r.delete(`${base}/:id/rules/:ruleId`, {
    config: write,
    schema: { tags: [TAG], operationId: `delete${K}Rule`, summary: `Delete ${kind} rule`, params: ruleParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.deleteRule(tenantOf(request.auth), kind, request.params.id, request.params.ruleId);
      return reply.code(204).send(null);
    },
  });
}
