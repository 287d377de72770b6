import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
import type { LevelKind } from '../../../db/types.js';
import { errorResponses } from '../../../http/responses.js';
import { idParams, levelBody, levelSchema, toLevel } from '../scoring.schemas.js';
import { type ScoringService } from '../scoring.service.js';
import { tenantOf } from '../../../auth/tenant.js';

const KINDS: LevelKind[] = ['engagement', 'profile', 'account'];
const title = (k: LevelKind) => k[0]?.toUpperCase() + k.slice(1);

/** The same five routes for each level kind (engagement, profile, account). */
export async function levelsRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { service } = deps;
  const tags = ['Levels'];

  for (const kind of KINDS) {
    const base = `/levels/${kind}`;
    r.get(base, {
      config: { access: access.ou('Viewer') },
      schema: { tags, operationId: `list${title(kind)}Levels`, summary: `List ${kind} levels`, response: { 200: z.array(levelSchema), ...errorResponses(400, 401, 403) } },
      handler: async (request) => (await service.listLevels(tenantOf(request.auth), kind)).map(toLevel),
    });
    r.post(base, {
      config: { access: access.ou('Operator') },
      schema: {
        tags,
        operationId: `create${title(kind)}Level`,
        summary: `Create ${kind} level (ranges of one kind may not overlap: 409)`,
        body: levelBody,
        response: { 201: levelSchema, ...errorResponses(400, 401, 403, 409) },
      },
      handler: async (request, reply) =>
        reply.code(201).send(toLevel(await service.createLevel(tenantOf(request.auth), request.auth.memberId, kind, request.body))),
    });
    r.put(`${base}/:id`, {
      config: { access: access.ou('Operator') },
      schema: {
        tags,
        operationId: `update${title(kind)}Level`,
        summary: `Update ${kind} level`,
        params: idParams,
        body: levelBody,
        response: { 200: levelSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
      handler: async (request) =>
        toLevel(await service.updateLevel(tenantOf(request.auth), request.auth.memberId, kind, request.params.id, request.body)),
    });
    r.delete(`${base}/:id`, {
      config: { access: access.ou('Operator') },
      schema: {
        tags,
        operationId: `delete${title(kind)}Level`,
        summary: `Delete ${kind} level`,
        params: idParams,
        response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request, reply) => {
        await service.deleteLevel(tenantOf(request.auth), kind, request.params.id);
        return reply.code(204).send(null);
      },
    });
  }
}
