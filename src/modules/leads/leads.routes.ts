import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import { leadAliasSchema, leadParamsSchema } from './leads.schemas.js';
import type { LeadsService } from './leads.service.js';

/** Routes whose subject is the lead itself (routes.md "Leads"); score reads are in lead-scores.routes.ts. */
export async function leadsRoutes(app: FastifyInstance, deps: { leads: LeadsService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { leads } = deps;
  const tags = ['Leads'];

  r.get('/leads/:leadID/aliases', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listLeadAliases',
      summary: 'List lead aliases (normalized values, oldest first)',
      params: leadParamsSchema,
      response: { 200: z.array(leadAliasSchema), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => leads.listAliases(tenantOf(request.auth), request.params.leadID),
  });
}
