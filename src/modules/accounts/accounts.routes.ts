import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import {
  accountDetailSchema,
  accountListQuery,
  accountListSchema,
  accountParams,
  batchDeleteBody,
  batchDeleteResultSchema,
} from './accounts.schemas.js';
import type { AccountsService } from './accounts.service.js';
import { TAG } from './property-scoring.routes.js';

/** /accounts… and /account/properties (registered behind the ABM guard). */
export async function accountsRoutes(app: FastifyInstance, deps: { accounts: AccountsService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { accounts } = deps;
  const tags = [TAG];
  const abm = errorResponses(400, 401, 403);

  r.get('/accounts', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listAccounts',
      summary: 'List accounts with top_score, leads_count, owner_name, surging and intent_level (403 abm_disabled without ABM)',
      querystring: accountListQuery,
      response: { 200: accountListSchema, ...abm },
    },
    handler: async (request) => accounts.list(tenantOf(request.auth), request.query),
  });
  r.post('/accounts/batch-delete', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'batchDeleteAccounts',
      summary: 'Unlink the OU’s leads from the accounts and delete the accounts no lead references',
      body: batchDeleteBody,
      response: { 200: batchDeleteResultSchema, ...abm },
    },
    handler: async (request) => accounts.batchDelete(tenantOf(request.auth), request.body.ids),
  });
  r.get('/accounts/:id', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'getAccount',
      summary: 'Account detail: metadata, scores, its top 100 leads and 20 newest events',
      params: accountParams,
      response: { 200: accountDetailSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => accounts.get(tenantOf(request.auth), request.params.id),
  });
  r.get('/account/properties', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listAccountProperties',
      summary: 'Distinct top-level metadata keys of the OU’s accounts, sorted (at most 1000)',
      response: { 200: z.array(z.string()), ...abm },
    },
    handler: async (request) => accounts.properties(tenantOf(request.auth)),
  });
}
