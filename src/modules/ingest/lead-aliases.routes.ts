import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import { errorResponses } from '../../http/responses.js';
import { createIngestRepository } from './ingest.repository.js';
import { leadAliasSchema, leadParamsSchema } from './ingest.schemas.js';

type AliasRow = Awaited<ReturnType<ReturnType<typeof createIngestRepository>['listAliases']>>[number];

function toLeadAlias(row: AliasRow): z.infer<typeof leadAliasSchema> {
  return { alias_kind: row.kind, value: row.value, created_at: row.created_at.toISOString() };
}

/** The aliases of a lead (normalized values); the rest of the lead API comes with the leads module. */
export async function leadAliasesRoutes(app: FastifyInstance, deps: { db: Db }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createIngestRepository(deps.db);

  r.get('/leads/:leadID/aliases', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags: ['Leads'],
      operationId: 'listLeadAliases',
      summary: 'List lead aliases (normalized values, oldest first)',
      params: leadParamsSchema,
      response: { 200: z.array(leadAliasSchema), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => {
      const { orgId, unitId } = request.auth;
      const leadId = request.params.leadID;
      if (!(await repo.leadExists(orgId, unitId as string, leadId))) throw notFound('lead');
      return (await repo.listAliases(orgId, unitId as string, leadId)).map(toLeadAlias);
    },
  });
}
