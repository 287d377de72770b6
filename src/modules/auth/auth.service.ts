import type { AuthContext } from '../../auth/access.js';
import { createAuthRepository } from '../../auth/auth.repository.js';
import type { RevocationBus } from '../../auth/revocations.js';
import type { PasswordHasher } from '../../auth/secrets.js';
import { TOKEN_TTL_SECONDS, newSessionPayload } from '../../auth/sessions.js';
import type { Db } from '../../db/database.js';
import { createOrgRepository, type Member } from '../org/org.repository.js';

export interface AuthServiceDeps {
  db: Db;
  revocations: RevocationBus;
  passwords: PasswordHasher;
  /** Signs a token payload (adds `iat` and `exp`). */
  sign: (payload: ReturnType<typeof newSessionPayload>) => string;
  onError: (err: unknown, message: string) => void;
}

export type PasswordCheck = { ok: true; member: Member } | { ok: false; member: Member | undefined };

export function createAuthService(deps: AuthServiceDeps) {
  const orgRepo = createOrgRepository(deps.db);
  const sessions = createAuthRepository(deps.db);

  /** Hashes made with older scrypt parameters are upgraded at the first login that proves the password. */
  async function upgradeHash(member: Member, password: string): Promise<void> {
    if (!deps.passwords.needsRehash(member.password_hash)) return;
    try {
      await orgRepo.replacePasswordHash(member.org_id, member.id, member.password_hash, await deps.passwords.hash(password));
    } catch (err) {
      deps.onError(err, 'could not upgrade a password hash');
    }
  }

  return {
    /** Unknown emails cost a full hash too, so timing does not tell which emails exist. */
    async checkPassword(email: string, password: string): Promise<PasswordCheck> {
      const member = await orgRepo.findMemberForLogin(email);
      const ok = await deps.passwords.verify(password, member?.password_hash ?? (await deps.passwords.dummyHash()));
      if (!member || !ok) return { ok: false, member };
      await upgradeHash(member, password);
      return { ok: true, member };
    },

    startSession(member: { id: string; org_id: string; token_version: number }) {
      const token = deps.sign(newSessionPayload(member));
      return { token, expires_at: new Date(Date.now() + TOKEN_TTL_SECONDS * 1000).toISOString() };
    },

    /** Ends the caller's session, or with `everywhere` every session of the member (token version bump). */
    async logout(auth: AuthContext, everywhere: boolean): Promise<void> {
      if (auth.grant.kind !== 'session' || !auth.memberId) return;
      if (everywhere) await sessions.bumpTokenVersion(auth.orgId, auth.memberId);
      else await sessions.revokeSession(auth.orgId, auth.grant.sessionId, new Date(auth.grant.expiresAt));
      await deps.revocations.publish({ kind: 'member', orgId: auth.orgId, memberId: auth.memberId });
      await sessions.purgeExpiredSessions();
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
