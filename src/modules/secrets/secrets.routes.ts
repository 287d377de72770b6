import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, type AuthContext } from '../../auth/access.js';
import type { CredentialCache } from '../../auth/credential-cache.js';
import { newClientCredential } from '../../auth/secrets.js';
import type { Db } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import { errorResponses } from '../../http/responses.js';
import { createSecretsRepository } from './secrets.repository.js';

const credentialSchema = z
  .object({
    secret_id: z.string(),
    client_id: z.string(),
    name: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .meta({ id: 'ApiCredential' });
const createdCredentialSchema = credentialSchema
  .omit({ last_used_at: true })
  .extend({ client_secret: z.string().describe('Shown once; only a hash is stored') });
const createBody = z.object({ name: z.string().trim().min(1).max(50) });
const idParams = z.object({ id: z.string().uuid() });

type CredentialRow = Awaited<ReturnType<ReturnType<typeof createSecretsRepository>['create']>>;

function toCredential(row: CredentialRow) {
  return {
    secret_id: row.id,
    client_id: row.client_id,
    name: row.name,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at ? row.last_used_at.toISOString() : null,
  };
}

function unitOf(auth: AuthContext): string {
  return auth.unitId as string;
}

export async function secretsRoutes(app: FastifyInstance, deps: { db: Db; credentials: CredentialCache }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createSecretsRepository(deps.db);
  const tags = ['Secrets'];

  r.get('/secrets', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'listSecrets',
      summary: 'List API credentials of the active OU (never the secret)',
      response: { 200: z.array(credentialSchema), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => (await repo.list(request.auth.orgId, unitOf(request.auth))).map(toCredential),
  });

  r.post('/secrets', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'createSecret',
      summary: 'Create an API credential pair bound to the active OU (secret shown once)',
      body: createBody,
      response: { 201: createdCredentialSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      const { clientId, clientSecret, secretHash } = newClientCredential();
      const row = await repo.create({
        org_id: request.auth.orgId,
        unit_id: unitOf(request.auth),
        name: request.body.name,
        client_id: clientId,
        secret_hash: secretHash,
        created_by: request.auth.memberId,
      });
      const { last_used_at: _unused, ...created } = toCredential(row);
      return reply.code(201).send({ ...created, client_secret: clientSecret });
    },
  });

  r.delete('/secrets/:id', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'deleteSecret',
      summary: 'Delete (revoke at once) an API credential',
      params: idParams,
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const clientId = await repo.remove(request.auth.orgId, unitOf(request.auth), request.params.id);
      if (!clientId) throw notFound('credential');
      await deps.credentials.revoke(clientId);
      return reply.code(204).send(null);
    },
  });
}
