import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { AppError } from '../http/errors.js';
import { roleAtLeast, type Access, type AuthContext, type OuRole } from './access.js';
import { createAuthRepository, type MemberAccess } from './auth.repository.js';
import type { CredentialCache } from './credential-cache.js';
import { secretMatches } from './secrets.js';

export const SESSION_COOKIE = 'session';
export const ACTIVE_OU_COOKIE = 'activeOu';
const CREDENTIAL_TOUCH_MS = 60_000;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the auth hook on every route that needs authentication. */
    auth: AuthContext;
  }
}

interface TokenClaims {
  sub: string;
  org: string;
}

const unauthorized = (message: string) => new AppError('unauthorized', message);

function bearerOrSession(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return request.cookies[SESSION_COOKIE] ?? null;
}

/** The activeOu cookie is signed; an altered one is refused rather than ignored. */
function activeOuFromCookie(request: FastifyRequest): string | null {
  const raw = request.cookies[ACTIVE_OU_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) throw new AppError('forbidden', 'the activeOu cookie is not valid');
  return unsigned.value;
}

function memberContext(member: MemberAccess, unitId: string | null): AuthContext {
  return {
    via: 'jwt',
    orgId: member.orgId,
    memberId: member.id,
    email: member.email,
    orgRole: member.orgRole,
    credentialId: null,
    unitId,
    role: unitId ? (member.units.get(unitId) ?? null) : null,
    roleIn: (id) => member.units.get(id) ?? null,
  };
}

/** Active OU in the order of semantics §1: cookie (must be the member's), else the only OU. */
function resolveMemberUnit(request: FastifyRequest, member: MemberAccess): string | null {
  const fromCookie = activeOuFromCookie(request);
  if (fromCookie) {
    if (!member.units.has(fromCookie)) throw new AppError('forbidden', 'you are not a member of the active OU');
    return fromCookie;
  }
  if (member.units.size === 1) return [...member.units.keys()][0] ?? null;
  return null;
}

async function authenticate(
  request: FastifyRequest,
  app: FastifyInstance,
  repo: ReturnType<typeof createAuthRepository>,
  credentials: CredentialCache,
  touched: Map<string, number>,
): Promise<AuthContext> {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // NUL cannot be stored, so no client id holds one (and PostgreSQL would refuse the lookup).
    if (colon < 1 || decoded.includes('\u0000')) throw unauthorized('malformed Basic credentials');
    const clientId = decoded.slice(0, colon);
    const credential = await credentials.get(clientId, () => repo.findCredentialByClientId(clientId));
    if (!credential || !secretMatches(decoded.slice(colon + 1), credential.secret_hash)) {
      throw unauthorized('invalid client credentials');
    }
    const last = touched.get(credential.id) ?? credential.last_used_at?.getTime() ?? 0;
    if (Date.now() - last > CREDENTIAL_TOUCH_MS) {
      touched.set(credential.id, Date.now());
      repo.touchCredential(credential.id).catch((err) => request.log.warn({ err }, 'could not record credential use'));
    }
    const unitId = credential.unit_id;
    const role: OuRole = 'Operator';
    return {
      via: 'basic',
      orgId: credential.org_id,
      memberId: null,
      email: null,
      orgRole: null,
      credentialId: credential.id,
      unitId,
      role,
      roleIn: (id) => (id === unitId ? role : null),
    };
  }
  const token = bearerOrSession(request);
  if (!token) throw unauthorized('authentication required');
  let claims: TokenClaims;
  try {
    claims = app.jwt.verify<TokenClaims>(token);
  } catch {
    throw unauthorized('the token is invalid or expired');
  }
  const member = await repo.findMemberAccess(claims.sub);
  if (!member || member.orgId !== claims.org) throw unauthorized('the token is invalid or expired');
  return memberContext(member, resolveMemberUnit(request, member));
}

function authorize(auth: AuthContext, access: Exclude<Access, { auth: 'none' }>): void {
  if (access.auth === 'jwt' && auth.via !== 'jwt') {
    throw new AppError('forbidden', 'this route needs a member session (Bearer token), not an API credential');
  }
  if (access.orgAdmin && auth.orgRole !== 'admin') throw new AppError('forbidden', 'this needs an organization admin');
  if (!access.ou) return;
  if (!auth.unitId) throw new AppError('ou_required', 'select an active OU first (POST /org-units/active)');
  if (access.role && !roleAtLeast(auth.role, access.role)) {
    throw new AppError('forbidden', `this needs the ${access.role} role in the active OU`);
  }
}

/**
 * Authenticates every route that declares `config.access` other than public, resolves the active
 * OU and enforces the route's role, so modules read `request.auth` and never parse credentials.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: { db: Db; config: Config; credentials: CredentialCache }) => {
    const repo = createAuthRepository(opts.db);
    const touched = new Map<string, number>();
    app.decorateRequest('auth', null as unknown as AuthContext);

    app.addHook('onRoute', (route) => {
      if (!route.config?.access) {
        throw new Error(`route ${route.method} ${route.url} declares no config.access`);
      }
    });

    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config.access;
      if (!access || access.auth === 'none') return;
      request.auth = await authenticate(request, app, repo, opts.credentials, touched);
      authorize(request.auth, access);
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie', '@fastify/jwt'] },
);
