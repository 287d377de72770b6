import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { ACTIVE_OU_COOKIE, SESSION_COOKIE } from '../../auth/auth.plugin.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../../auth/secrets.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import { errorResponses } from '../../http/responses.js';
import { createOrgRepository } from '../org/org.repository.js';
import {
  emailSchema,
  memberSchema,
  organizationSchema,
  password,
  personName,
  toMember,
  toOrganization,
  toUnit,
  unitSchema,
} from '../org/org.schemas.js';
import type { OrgService } from '../org/org.service.js';

const TOKEN_TTL_SECONDS = 12 * 60 * 60;
/** Cookie names earlier auth flows used; /auth/cleanup clears them. */
const LEGACY_COOKIES = ['token', 'jwt', 'access_token', 'refresh_token', 'auth', 'ou', 'active_ou'];

const signupBody = z.object({
  organization_name: z.string().trim().min(1).max(200),
  first_name: personName,
  last_name: personName,
  email: emailSchema,
  password,
});
const loginBody = z.object({ email: emailSchema, password: z.string().min(1).max(200) });
const sessionSchema = z.object({ token: z.string(), expires_at: z.string(), member: memberSchema });
const signupSchema = sessionSchema.extend({ organization: organizationSchema, unit: unitSchema });
const meSchema = memberSchema.pick({ org_member_id: true, first_name: true, last_name: true, email: true, role: true, verified: true });
const rateLimitSchema = z.object({
  enabled: z.boolean(),
  mode: z.enum(['off', 'observe', 'enforce']),
  key_by: z.enum(['org', 'member', 'ip']),
  key: z.string(),
  rps: z.number(),
  burst: z.number(),
  stage: z.string().describe('Where the limiter runs: after authentication, before the handler'),
});

export async function authRoutes(
  app: FastifyInstance,
  deps: { db: Db; config: Config; limiter: RateLimiter; orgService: OrgService },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createOrgRepository(deps.db);
  const tags = ['Auth'];
  const cookieOptions = { httpOnly: true, sameSite: 'lax', path: '/', secure: deps.config.cookieSecure } as const;

  function startSession(reply: FastifyReply, member: { id: string; org_id: string }, unitId: string | undefined) {
    const token = app.jwt.sign({ sub: member.id, org: member.org_id });
    reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: TOKEN_TTL_SECONDS });
    if (unitId) reply.setCookie(ACTIVE_OU_COOKIE, unitId, { ...cookieOptions, signed: true });
    return { token, expires_at: new Date(Date.now() + TOKEN_TTL_SECONDS * 1000).toISOString() };
  }

  r.post('/auth/signup', {
    config: { access: access.public },
    schema: {
      tags,
      operationId: 'signup',
      summary: 'Create an organization, its admin member and a default OU; returns a token',
      body: signupBody,
      response: { 201: signupSchema, ...errorResponses(400, 403, 409) },
    },
    handler: async (request, reply) => {
      if (!deps.config.signupEnabled) throw new AppError('signup_disabled', 'signup is disabled on this server');
      const { organization, member, unit } = await deps.orgService.signup(request.body);
      request.auditActor = { orgId: organization.id, memberId: member.id, email: member.email };
      const session = startSession(reply, member, unit.id);
      return reply
        .code(201)
        .send({ ...session, member: toMember(member), organization: toOrganization(organization), unit: toUnit(unit) });
    },
  });

  r.post('/auth/login', {
    config: { access: access.public },
    schema: {
      tags,
      operationId: 'login',
      summary: 'Email + password → token; sets the session and activeOu cookies',
      body: loginBody,
      response: { 200: sessionSchema, ...errorResponses(400, 401) },
    },
    handler: async (request, reply) => {
      const member = await repo.findMemberForLogin(request.body.email);
      const ok = await verifyPassword(request.body.password, member?.password_hash ?? DUMMY_PASSWORD_HASH);
      if (!member || !ok) throw new AppError('unauthorized', 'invalid email or password');
      request.auditActor = { orgId: member.org_id, memberId: member.id, email: member.email };
      const [firstUnit] = await repo.listUnitsOf(member);
      return { ...startSession(reply, member, firstUnit?.id), member: toMember(member) };
    },
  });

  r.post('/auth/logout', {
    config: { access: access.member },
    schema: { tags, operationId: 'logout', summary: 'Clear the session and activeOu cookies', response: { 204: z.null(), ...errorResponses(401) } },
    handler: async (_request, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(ACTIVE_OU_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  });

  r.post('/auth/cleanup', {
    config: { access: access.public },
    schema: { tags, operationId: 'cleanupAuthCookies', summary: 'Remove residual cookies of earlier auth flows', response: { 204: z.null() } },
    handler: async (_request, reply) => {
      for (const name of LEGACY_COOKIES) reply.clearCookie(name, { path: '/' });
      return reply.code(204).send(null);
    },
  });

  r.get('/auth/me', {
    config: { access: access.member },
    schema: { tags, operationId: 'me', summary: 'Current user', response: { 200: meSchema, ...errorResponses(401, 403) } },
    handler: async (request) => {
      const member = await repo.findMember(request.auth.orgId, request.auth.memberId ?? '');
      if (!member) throw new AppError('unauthorized', 'the member no longer exists');
      const { created_at: _c, ...me } = toMember(member);
      return me;
    },
  });

  r.get('/me/rate-limit', {
    config: { access: access.anyCaller },
    schema: {
      tags: ['Me'],
      operationId: 'myRateLimit',
      summary: 'Rate limit configuration for the caller',
      response: { 200: rateLimitSchema, ...errorResponses(401, 403) },
    },
    handler: async (request) => {
      const cfg = deps.limiter.config;
      return {
        enabled: cfg.mode !== 'off',
        mode: cfg.mode,
        key_by: cfg.keyBy,
        key: deps.limiter.keyFor(request),
        rps: cfg.rps,
        burst: cfg.burst,
        stage: 'post_auth',
      };
    },
  });
}
