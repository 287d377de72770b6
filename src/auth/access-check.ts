import type { Db } from '../db/database.js';
import type { AuthContext } from './access.js';
import { createAuthRepository } from './auth.repository.js';
import type { CredentialCache } from './credential-cache.js';
import type { Revocation } from './revocations.js';

/**
 * Checks again, later in a long request, that what authenticated it still holds: the credential
 * exists, or the token is unexpired, not logged out, of the member's current version, and the
 * member still belongs to the OU. Credentials come from the cache (kept coherent by revocations).
 */
export function createAccessCheck(deps: { db: Db; credentials: CredentialCache }) {
  const repo = createAuthRepository(deps.db);

  return async function stillAllowed(auth: AuthContext, unitId: string): Promise<boolean> {
    const grant = auth.grant;
    if (grant.kind === 'credential') {
      const credential = await deps.credentials.get(grant.clientId, () => repo.findCredentialByClientId(grant.clientId));
      return credential?.id === auth.credentialId && credential.unit_id === unitId;
    }
    if (grant.expiresAt <= Date.now() || !auth.memberId) return false;
    const member = await repo.findMemberAccess({
      memberId: auth.memberId,
      orgId: auth.orgId,
      version: grant.version,
      sessionId: grant.sessionId,
    });
    return member?.units.has(unitId) ?? false;
  };
}

export type AccessCheck = ReturnType<typeof createAccessCheck>;

/** Whether a revocation may concern this caller (then its access is checked again). */
export function revocationConcerns(revocation: Revocation, auth: AuthContext): boolean {
  if (revocation.kind === 'credential') return auth.grant.kind === 'credential' && auth.grant.clientId === revocation.clientId;
  return auth.memberId === revocation.memberId && auth.orgId === revocation.orgId;
}
