import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { ACTIVE_OU_COOKIE, SESSION_COOKIE } from '../../auth/auth.plugin.js';
import { TOKEN_TTL_SECONDS } from '../../auth/sessions.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import { errorResponses } from '../../http/responses.js';
import { createOrgRepository, type Member } from '../org/org.repository.js';
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
import type { AuthLimits } from './auth.limits.js';
import type { AuthService } from './auth.service.js';

/** Cookie names earlier auth flows used, and the activeOu cookie; /auth/cleanup clears them. */
const CLEANUP_COOKIES = ['token', 'jwt', 'access_token', 'refresh_token', 'auth', 'ou', 'active_ou', ACTIVE_OU_COOKIE];

const signupBody = z.object({
  organization_name: z.string().trim().min(1).max(200),
  first_name: personName,
  last_name: personName,
  email: emailSchema,
  password,
});
const loginBody = z.object({ email: emailSchema, password: z.string().min(1).max(200) });
const logoutQuery = z.object({
  everywhere: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('true: end every session of the member (all devices), not only this token'),
});
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

export interface AuthRoutesDeps {
  db: Db;
  config: Config;
  limiter: RateLimiter;
  orgService: OrgService;
  authService: AuthService;
  authLimits: AuthLimits;
}

/** A failed login is audited in the organization of the member the email names; else only logged. */
function noteFailedLogin(request: FastifyRequest, email: string, member: Member | undefined): void {
  if (member) request.auditActor = { orgId: member.org_id, memberId: member.id, email: member.email };
  else request.log.warn({ email, ip: request.ip }, 'failed login for an unknown email');
}

export async function authRoutes(app: FastifyInstance, deps: AuthRoutesDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createOrgRepository(deps.db);
  const { authService, authLimits } = deps;
  const tags = ['Auth'];
  const cookieOptions = { httpOnly: true, sameSite: 'lax', path: '/', secure: deps.config.cookieSecure } as const;
  const attemptLimited = { onRequest: authLimits.countAttempt };

  function startSession(reply: FastifyReply, member: Pick<Member, 'id' | 'org_id' | 'token_version'>, unitId: string | undefined) {
    const session = authService.startSession(member);
    reply.setCookie(SESSION_COOKIE, session.token, { ...cookieOptions, maxAge: TOKEN_TTL_SECONDS });
    if (unitId) reply.setCookie(ACTIVE_OU_COOKIE, unitId, { ...cookieOptions, signed: true });
    return session;
  }

  r.post('/auth/signup', {
    config: { access: access.public },
    ...attemptLimited,
    schema: {
      tags,
      operationId: 'signup',
      summary: 'Create an organization, its admin member and a default OU; returns a token',
      description: 'Limited per client address (AUTH_RATE_LIMIT_PER_MIN attempts a minute): 429 with Retry-After above it.',
      body: signupBody,
      response: { 201: signupSchema, ...errorResponses(400, 403, 409, 429) },
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
    ...attemptLimited,
    schema: {
      tags,
      operationId: 'login',
      summary: 'Email + password → token; sets the session and activeOu cookies',
      description:
        'Limited per client address (AUTH_RATE_LIMIT_PER_MIN attempts a minute) and per email (after 10 failed logins ' +
        'in 15 minutes the email is locked until that window ends, even for the right password): 429 with Retry-After.',
      body: loginBody,
      response: { 200: sessionSchema, ...errorResponses(400, 401, 429) },
    },
    handler: async (request, reply) => {
      const { email, password: given } = request.body;
      authLimits.beginLogin(email, reply);
      const check = await authService.checkPassword(email, given);
      if (!check.ok) {
        noteFailedLogin(request, email, check.member);
        throw new AppError('unauthorized', 'invalid email or password');
      }
      authLimits.loginSucceeded(email);
      request.auditActor = { orgId: check.member.org_id, memberId: check.member.id, email: check.member.email };
      const [firstUnit] = await repo.listUnitsOf(check.member);
      return { ...startSession(reply, check.member, firstUnit?.id), member: toMember(check.member) };
    },
  });

  r.post('/auth/logout', {
    config: { access: access.member },
    schema: {
      tags,
      operationId: 'logout',
      summary: 'End this session (or every session of the member) and clear the session and activeOu cookies',
      description: 'The token used for this call answers 401 from now on; with everywhere=true every token of the member does.',
      querystring: logoutQuery,
      response: { 204: z.null(), ...errorResponses(400, 401) },
    },
    handler: async (request, reply) => {
      await authService.logout(request.auth, request.query.everywhere);
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(ACTIVE_OU_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  });

  r.post('/auth/cleanup', {
    config: { access: access.public },
    schema: {
      tags,
      operationId: 'cleanupAuthCookies',
      summary: 'Remove residual cookies of earlier auth flows and the activeOu cookie',
      response: { 204: z.null() },
    },
    handler: async (_request, reply) => {
      for (const name of CLEANUP_COOKIES) reply.clearCookie(name, { path: '/' });
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
