import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../../auth/access.js';
import { errorResponses } from '../../../http/responses.js';
import { scoringSettingsBody, scoringSettingsSchema, surgePolicyBody, surgePolicySchema, toSurgePolicy } from '../scoring.schemas.js';
import { type ScoringService } from '../scoring.service.js';
import { tenantOf } from '../../../auth/tenant.js';

export async function scoringSettingsRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { service } = deps;
  const tags = ['Settings'];

  r.get('/settings/scoring', {
    config: { access: access.ouMember('Viewer') },
    schema: { tags, operationId: 'getScoringSettings', summary: 'Get scoring settings', response: { 200: scoringSettingsSchema, ...errorResponses(400, 401, 403) } },
    handler: async (request) => service.getSettings(tenantOf(request.auth)),
  });
  r.put('/settings/scoring', {
    config: { access: access.ouMember('Owner') },
    schema: {
      tags,
      operationId: 'updateScoringSettings',
      summary: 'Update scoring settings (organization-wide toggles need an org admin)',
      body: scoringSettingsBody,
      response: { 200: scoringSettingsSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.putSettings(request.auth, request.body),
  });
  r.get('/settings/ou/surge-policy', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags,
      operationId: 'getSurgePolicy',
      summary: 'Get OU surge session policy (Standard defaults if none)',
      response: { 200: surgePolicySchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => toSurgePolicy(await service.getSurgePolicy(tenantOf(request.auth))),
  });
  r.put('/settings/ou/surge-policy', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'putSurgePolicy',
      summary: 'Upsert OU surge session policy (custom bands above multiplier_cap are refused)',
      body: surgePolicyBody,
      response: { 200: surgePolicySchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => toSurgePolicy(await service.putSurgePolicy(tenantOf(request.auth), request.body)),
  });
}
