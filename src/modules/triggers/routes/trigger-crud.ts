import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Access } from '../../../auth/access.js';
import { tenantOf } from '../../../auth/tenant.js';
import type { TriggerKind } from '../../../db/types.js';
import { errorResponses } from '../../../http/responses.js';
import type { TriggerRow } from '../triggers.repository.js';
import { triggerIdParams, type TriggerInput } from '../triggers.schemas.js';
import type { TriggersService } from '../triggers.service.js';

export const tags = ['Triggers'];

/** What differs between the four trigger families: path, kind, schemas, names, who may call. */
export interface CrudSpec {
  path: string;
  kind: TriggerKind;
  /** Operation id stem, e.g. MilestoneTrigger → listMilestoneTriggers, createMilestoneTrigger... */
  noun: string;
  label: string;
  body: z.ZodType<TriggerInput>;
  updateBody: z.ZodType<TriggerInput>;
  response: z.ZodType;
  toApi: (row: TriggerRow) => unknown;
  read: Access;
  write: Access;
}

/** GET, POST, PUT /{id}, DELETE /{id} of one trigger family (routes.md "Triggers"). */
export function registerTriggerCrud(app: FastifyInstance, service: TriggersService, spec: CrudSpec): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { kind, path, noun, label } = spec;
  r.get(path, {
    config: { access: spec.read },
    schema: { tags, operationId: `list${noun}s`, summary: `List ${label}s of the active OU`, response: { 200: z.array(spec.response), ...errorResponses(400, 401, 403) } },
    handler: async (request) => (await service.list(tenantOf(request.auth), kind)).map(spec.toApi),
  });
  r.post(path, {
    config: { access: spec.write },
    schema: { tags, operationId: `create${noun}`, summary: `Create ${label}`, body: spec.body, response: { 201: spec.response, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => reply.code(201).send(spec.toApi(await service.create(tenantOf(request.auth), request.auth.memberId, kind, request.body))),
  });
  r.put(`${path}/:id`, {
    config: { access: spec.write },
    schema: { tags, operationId: `update${noun}`, summary: `Update ${label} (fields left out keep their value)`, params: triggerIdParams, body: spec.updateBody, response: { 200: spec.response, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => spec.toApi(await service.update(tenantOf(request.auth), request.auth.memberId, kind, request.params.id, request.body)),
  });
  r.delete(`${path}/:id`, {
    config: { access: spec.write },
    schema: { tags, operationId: `delete${noun}`, summary: `Delete ${label} (its firings and their deliveries go with it)`, params: triggerIdParams, response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      await service.remove(tenantOf(request.auth), kind, request.params.id);
      return reply.code(204).send(null);
    },
  });
}
