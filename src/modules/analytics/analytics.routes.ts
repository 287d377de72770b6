import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { errorResponses } from '../../http/responses.js';
import { campaignLeadsParams, campaignLeadsQuery, campaignLeadsSchema, campaignsQuery, campaignsSchema } from './analytics.schemas.js';
import { createAnalyticsService } from './analytics.service.js';
import { toWindow } from '../../http/date-window.js';

const tags = ['Analytics'];

/** UTM campaign performance and its lead drilldown (routes.md "Analytics", seed 001, docs/analytics.md). */
export async function analyticsRoutes(app: FastifyInstance, deps: { db: Db }) {
  const service = createAnalyticsService(deps);
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/analytics/campaigns', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listCampaigns',
      summary: 'UTM campaign performance (one row per UTM value, most events first)',
      querystring: campaignsQuery,
      response: { 200: campaignsSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const q = request.query;
      return service.campaigns(tenantOf(request.auth), q.group_by, toWindow(q.start_date, q.end_date));
    },
  });
  r.get('/analytics/campaigns/:campaign_name/leads', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listCampaignLeads',
      summary: 'Leads attributed to one UTM value (most recent first touch first, at most 500)',
      params: campaignLeadsParams,
      querystring: campaignLeadsQuery,
      response: { 200: campaignLeadsSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const q = request.query;
      return service.campaignLeads(tenantOf(request.auth), q.group_by, request.params.campaign_name, toWindow(q.start_date, q.end_date));
    },
  });
}
