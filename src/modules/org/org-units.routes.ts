import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { ACTIVE_OU_COOKIE } from '../../auth/auth.plugin.js';
import type { Config } from '../../config.js';
import { errorResponses } from '../../http/responses.js';
import {
  assignMemberBody,
  createUnitBody,
  idParams,
  membershipParams,
  membershipSchema,
  setActiveBody,
  toOrganization,
  toUnit,
  unitListSchema,
  unitSchema,
  updateMembershipBody,
  updateUnitBody,
} from './org.schemas.js';
import type { OrgService } from './org.service.js';

type MembershipRow = Awaited<ReturnType<OrgService['listMemberships']>>[number];

function toMembership(row: MembershipRow) {
  return {
    org_member_id: row.member_id,
    unit_id: row.unit_id,
    role: row.role,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    created_at: row.created_at.toISOString(),
  };
}

export async function orgUnitsRoutes(app: FastifyInstance, deps: { config: Config; orgService: OrgService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = deps.orgService;
  const tags = ['OrgUnits'];
  const membershipTags = ['OUMemberships'];

  r.get('/org-units', {
    config: { access: access.member },
    schema: {
      tags,
      operationId: 'listOrgUnits',
      summary: 'List OUs of the current member, with organization info',
      response: { 200: unitListSchema, ...errorResponses(401, 403) },
    },
    handler: async (request) => {
      const { units, organization } = await service.listUnits(request.auth);
      return {
        units: units.map((u) => ({ ...toUnit(u), role: u.member_role })),
        organization: toOrganization(organization),
      };
    },
  });

  r.post('/org-units', {
    config: { access: access.orgAdmin },
    schema: {
      tags,
      operationId: 'createOrgUnit',
      summary: 'Create organization unit (creator becomes its Owner)',
      body: createUnitBody,
      response: { 201: unitSchema, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => {
      const unit = await service.createUnit(request.auth, request.body.name);
      return reply.code(201).send(toUnit(unit));
    },
  });

  r.put('/org-units/:id', {
    config: { access: access.member },
    schema: {
      tags,
      operationId: 'updateOrgUnit',
      summary: 'Update organization unit (Owner of that OU)',
      params: idParams,
      body: updateUnitBody,
      response: { 200: unitSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) => toUnit(await service.updateUnit(request.auth, request.params.id, request.body)),
  });

  r.post('/org-units/active', {
    config: { access: access.member },
    schema: {
      tags,
      operationId: 'setActiveOrgUnit',
      summary: 'Set the active OU: sets the signed activeOu cookie and returns the X-Active-OU header',
      body: setActiveBody,
      response: { 200: unitSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const unit = await service.activate(request.auth, request.body.ouId);
      reply.setCookie(ACTIVE_OU_COOKIE, unit.id, {
        signed: true,
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: deps.config.cookieSecure,
      });
      reply.header('x-active-ou', unit.id);
      return toUnit(unit);
    },
  });

  r.get('/org-units/:id/members', {
    config: { access: access.member },
    schema: {
      tags: membershipTags,
      operationId: 'listOuMemberships',
      summary: 'List OU memberships (members of that OU)',
      params: idParams,
      response: { 200: z.array(membershipSchema), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => (await service.listMemberships(request.auth, request.params.id)).map(toMembership),
  });

  r.post('/org-units/:id/members', {
    config: { access: access.member },
    schema: {
      tags: membershipTags,
      operationId: 'assignOuMember',
      summary: 'Assign a member to the OU (idempotent; Operator of that OU)',
      params: idParams,
      body: assignMemberBody,
      response: { 200: membershipSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) =>
      toMembership(await service.assignMember(request.auth, request.params.id, request.body.org_member_id, request.body.role)),
  });

  r.put('/org-units/:id/members/:memberId', {
    config: { access: access.member },
    schema: {
      tags: membershipTags,
      operationId: 'updateOuMembership',
      summary: 'Update an OU membership role (Operator of that OU)',
      params: membershipParams,
      body: updateMembershipBody,
      response: { 200: membershipSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) =>
      toMembership(await service.updateMembership(request.auth, request.params.id, request.params.memberId, request.body.role)),
  });

  r.delete('/org-units/:id/members/:memberId', {
    config: { access: access.member },
    schema: {
      tags: membershipTags,
      operationId: 'removeOuMembership',
      summary: 'Remove an OU membership (Operator of that OU)',
      params: membershipParams,
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      await service.removeMembership(request.auth, request.params.id, request.params.memberId);
      return reply.code(204).send(null);
    },
  });
}
