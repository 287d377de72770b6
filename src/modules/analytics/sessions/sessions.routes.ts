import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
import { tenantOf } from '../../../auth/tenant.js';
import type { Db } from '../../../db/database.js';
import { errorResponses } from '../../../http/responses.js';
import { contactsBody, contactsSchema, insightsBody, insightsSchema, noDataSchema } from './sessions.schemas.js';
import { createSessionsService } from './sessions.service.js';

const tags = ['Analytics'];

/** Session attribution (routes.md "Analytics", seeds 002 and 004, semantics §9; docs/session-insights.md). */
export async function sessionsRoutes(app: FastifyInstance, deps: { db: Db }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createSessionsService(deps);

  r.post('/api/v1/insights', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'sessionInsights',
      summary: 'Session attribution insights for the users with a session matching every filter (seed 002)',
      body: insightsBody.nullish(),
      response: { 200: z.union([insightsSchema, noDataSchema]), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.insights(tenantOf(request.auth), request.body ?? insightsBody.parse({})),
  });

  r.post('/api/v1/contacts', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'convertedContacts',
      summary: 'Converted contacts with their whole session journey, 50 per page (seed 004)',
      body: contactsBody.nullish(),
      response: { 200: z.union([contactsSchema, noDataSchema]), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.contacts(tenantOf(request.auth), request.body ?? contactsBody.parse({})),
  });
}
