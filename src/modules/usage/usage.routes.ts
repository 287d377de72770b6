import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import type { AuditLog } from '../../http/audit.js';
import { errorResponses } from '../../http/responses.js';
import { createUsageRepository, monthWindow } from './usage.repository.js';

const count = z.number().int();
const usageSchema = z.object({
  period: z.object({ start: z.string(), end: z.string() }),
  organization: z.object({ members: count, org_units: count, api_credentials: count, api_write_requests: count }),
  unit: z.object({ unit_id: z.string(), members: count, api_credentials: count, api_write_requests: count }),
});

export async function usageRoutes(app: FastifyInstance, deps: { db: Db; audit: AuditLog }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createUsageRepository(deps.db);

  r.get('/usage', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags: ['Usage'],
      operationId: 'usage',
      summary: 'Usage of the current calendar month (UTC) for the organization and the active OU',
      response: { 200: usageSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      await deps.audit.flush();
      const window = monthWindow(new Date());
      const unitId = request.auth.unitId as string;
      const usage = await repo.usage(request.auth.orgId, unitId, window);
      return {
        period: { start: window.start.toISOString(), end: window.end.toISOString() },
        organization: usage.organization,
        unit: { unit_id: unitId, ...usage.unit },
      };
    },
  });
}
