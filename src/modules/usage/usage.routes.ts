import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { errorResponses } from '../../http/responses.js';
import type { UsageCounters } from './usage.counters.js';
import { createUsageRepository, monthKey, monthWindow } from './usage.repository.js';

const count = z.number().int();
const monthToDate = {
  events: count.describe('events ingested this month (a normalized pair once, DECAY rows left out)'),
  leads: count.describe('leads created this month'),
  api_calls: count.describe('authenticated API requests answered this month, any method and status'),
  api_write_requests: count.describe('of those, POST/PUT/PATCH/DELETE requests'),
};
const usageSchema = z.object({
  period: z.object({ start: z.string(), end: z.string() }),
  organization: z.object({ members: count, org_units: count, api_credentials: count, ...monthToDate }),
  unit: z.object({ unit_id: z.string(), members: count, api_credentials: count, ...monthToDate }),
});

export async function usageRoutes(app: FastifyInstance, deps: { db: Db; counters: UsageCounters }) {
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
      await deps.counters.flush();
      const now = new Date();
      const window = monthWindow(now);
      const unitId = request.auth.unitId as string;
      const [tenancy, month] = await Promise.all([repo.tenancyCounts(request.auth.orgId, unitId), repo.monthCounts(request.auth.orgId, unitId, monthKey(now))]);
      const mtd = (c: typeof month.organization) => ({ events: c.events, leads: c.leads, api_calls: c.api_calls, api_write_requests: c.api_writes });
      return {
        period: { start: window.start.toISOString(), end: window.end.toISOString() },
        organization: { members: tenancy.org_members, org_units: tenancy.org_units, api_credentials: tenancy.org_api_credentials, ...mtd(month.organization) },
        unit: { unit_id: unitId, members: tenancy.unit_members, api_credentials: tenancy.unit_api_credentials, ...mtd(month.unit) },
      };
    },
  });
}
