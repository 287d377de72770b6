import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import { leadAccountViewSchema } from '../accounts/accounts.schemas.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { leadProfileSchema, type ProfilesService } from '../accounts/profiles.service.js';
import { leadParamsSchema } from './leads.schemas.js';

/** A lead's profile and account (routes.md "Leads"), served by the accounts module's services. */
export async function leadProfileRoutes(app: FastifyInstance, deps: { profiles: ProfilesService; accounts: AccountsService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Leads'];
  const read = { access: access.ou('Viewer') };

  r.get('/leads/:leadID/profile', {
    config: read,
    schema: {
      tags,
      operationId: 'getLeadProfile',
      summary: 'Lead profile: mapped profile properties, metadata, profile score and level (computed from the current profile rules)',
      params: leadParamsSchema,
      response: { 200: leadProfileSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => deps.profiles.leadProfile(tenantOf(request.auth), request.params.leadID),
  });
  r.get('/leads/:leadID/account', {
    config: read,
    schema: {
      tags,
      operationId: 'getLeadAccount',
      summary: 'The lead’s account with its metadata, top score, account score and level (null without one)',
      params: leadParamsSchema,
      response: { 200: leadAccountViewSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => deps.accounts.leadAccount(tenantOf(request.auth), request.params.leadID),
  });
}
