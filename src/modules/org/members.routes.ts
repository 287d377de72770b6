import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { errorResponses } from '../../http/responses.js';
import { createMemberBody, idParams, memberSchema, toMember, updateMemberBody } from './org.schemas.js';
import type { OrgService } from './org.service.js';

export async function membersRoutes(app: FastifyInstance, deps: { orgService: OrgService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.orgService;
  const tags = ['Members'];

  r.get('/org/members', {
    config: { access: access.member },
    schema: {
      tags,
      operationId: 'listMembers',
      summary: 'List organization members',
      response: { 200: z.array(memberSchema), ...errorResponses(401, 403) },
    },
    handler: async (request) => (await service.listMembers(request.auth)).map(toMember),
  });

  r.post('/org/members', {
    config: { access: access.orgAdmin },
    schema: {
      tags,
      operationId: 'createMember',
      summary: 'Create organization member (org admin)',
      body: createMemberBody,
      response: { 201: memberSchema, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => reply.code(201).send(toMember(await service.createMember(request.auth, request.body))),
  });

  r.put('/org/members/:id', {
    config: { access: access.orgAdmin },
    schema: {
      tags,
      operationId: 'updateMember',
      summary: 'Update organization member (org admin)',
      description: 'A new password ends every session of the member: its tokens answer 401 and its streams close.',
      params: idParams,
      body: updateMemberBody,
      response: { 200: memberSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => toMember(await service.updateMember(request.auth, request.params.id, request.body)),
  });

  r.delete('/org/members/:id', {
    config: { access: access.orgAdmin },
    schema: {
      tags,
      operationId: 'deleteMember',
      summary: 'Delete organization member (org admin)',
      params: idParams,
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => {
      await service.deleteMember(request.auth, request.params.id);
      return reply.code(204).send(null);
    },
  });
}
