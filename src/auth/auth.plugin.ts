import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { AppError } from '../http/errors.js';
import { roleAtLeast, type Access, type AuthContext, type OuRole } from './access.js';
import { createAuthRepository, type AuthRepository, type MemberAccess } from './auth.repository.js';
import type { CredentialCache } from './credential-cache.js';
import { secretMatches } from './secrets.js';
import { parseSessionClaims, type SessionClaims } from './sessions.js';

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

const unauthorized = (message: string) => new AppError('unauthorized', message);

function bearerOrSession(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return request.cookies[SESSION_COOKIE] ?? null;
}

interface ActiveUnit {
  unitId: string | null;
  refused: string | null;
}

/**
 * Active OU in the order of semantics §1: the signed activeOu cookie when it names an OU of the
 * member, else the only OU. A refused cookie (altered, stale, foreign) resolves to no OU and says
 * why, so routes that need the OU answer 403 while the others (logout, choosing another OU) work.
 */
function resolveMemberUnit(request: FastifyRequest, member: MemberAccess): ActiveUnit {
  const raw = request.cookies[ACTIVE_OU_COOKIE];
  if (raw) {
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return { unitId: null, refused: 'the activeOu cookie is not valid' };
    if (!member.units.has(unsigned.value)) return { unitId: null, refused: 'you are not a member of the active OU' };
    return { unitId: unsigned.value, refused: null };
  }
  const only = member.units.size === 1 ? ([...member.units.keys()][0] ?? null) : null;
  return { unitId: only, refused: null };
}

function memberContext(member: MemberAccess, claims: SessionClaims, active: ActiveUnit): AuthContext {
  const { sessionId, version, expiresAt } = claims;
  return {
    via: 'jwt',
    grant: { kind: 'session', sessionId, version, expiresAt },
    orgId: member.orgId,
    memberId: member.id,
    email: member.email,
    orgRole: member.orgRole,
    credentialId: null,
    unitId: active.unitId,
    activeOuRefused: active.refused,
    role: active.unitId ? (member.units.get(active.unitId) ?? null) : null,
    roleIn: (id) => member.units.get(id) ?? null,
  };
}

/** The claims of a valid, unexpired member token (signature and expiry checked by @fastify/jwt). */
function verifiedClaims(app: FastifyInstance, token: string): SessionClaims {
  let payload: unknown;
  try {
    payload = app.jwt.verify(token);
  } catch {
    throw unauthorized('the token is invalid or expired');
  }
  const claims = parseSessionClaims(payload);
  if (!claims) throw unauthorized('the token is invalid or expired');
  return claims;
}

interface AuthDeps {
  app: FastifyInstance;
  repo: AuthRepository;
  credentials: CredentialCache;
  touched: Map<string, number>;
}

/** Basic credentials come from the in-process cache: no database read on the ingestion hot path. */
async function authenticateBasic(request: FastifyRequest, header: string, deps: AuthDeps): Promise<AuthContext> {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // NUL cannot be stored, so no client id holds one (and PostgreSQL would refuse the lookup).
  if (colon < 1 || decoded.includes('\u0000')) throw unauthorized('malformed Basic credentials');
  const clientId = decoded.slice(0, colon);
  const credential = await deps.credentials.get(clientId, () => deps.repo.findCredentialByClientId(clientId));
  if (!credential || !secretMatches(decoded.slice(colon + 1), credential.secret_hash)) {
    throw unauthorized('invalid client credentials');
  }
  const last = deps.touched.get(credential.id) ?? credential.last_used_at?.getTime() ?? 0;
  if (Date.now() - last > CREDENTIAL_TOUCH_MS) {
    deps.touched.set(credential.id, Date.now());
    deps.repo.touchCredential(credential.id).catch((err) => request.log.warn({ err }, 'could not record credential use'));
  }
  const unitId = credential.unit_id;
  const role: OuRole = 'Operator';
  return {
    via: 'basic',
    grant: { kind: 'credential', clientId },
    orgId: credential.org_id,
    memberId: null,
    email: null,
    orgRole: null,
    credentialId: credential.id,
    unitId,
    activeOuRefused: null,
    role,
    roleIn: (id) => (id === unitId ? role : null),
  };
}

async function authenticate(request: FastifyRequest, deps: AuthDeps): Promise<AuthContext> {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) return authenticateBasic(request, header, deps);
  const token = bearerOrSession(request);
  if (!token) throw unauthorized('authentication required');
  const claims = verifiedClaims(deps.app, token);
  const member = await deps.repo.findMemberAccess(claims);
  if (!member) throw unauthorized('the token is invalid or expired');
  return memberContext(member, claims, resolveMemberUnit(request, member));
}

function authorize(auth: AuthContext, access: Exclude<Access, { auth: 'none' }>): void {
  if (access.auth === 'jwt' && auth.via !== 'jwt') {
    throw new AppError('forbidden', 'this route needs a member session (Bearer token), not an API credential');
  }
  if (access.orgAdmin && auth.orgRole !== 'admin') throw new AppError('forbidden', 'this needs an organization admin');
  if (!access.ou) return;
  if (auth.activeOuRefused) throw new AppError('forbidden', auth.activeOuRefused);
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
    const deps: AuthDeps = { app, repo: createAuthRepository(opts.db), credentials: opts.credentials, touched: new Map() };
    app.decorateRequest('auth', null as unknown as AuthContext);

    app.addHook('onRoute', (route) => {
      if (!route.config?.access) {
        throw new Error(`route ${route.method} ${route.url} declares no config.access`);
      }
    });

    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config.access;
      if (!access || access.auth === 'none') return;
      request.auth = await authenticate(request, deps);
      authorize(request.auth, access);
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie', '@fastify/jwt'] },
);
