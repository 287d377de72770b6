import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { OrgRole, OuRole } from './access.js';
import type { SessionClaims } from './sessions.js';

export interface MemberAccess {
  id: string;
  orgId: string;
  email: string;
  orgRole: OrgRole;
  /** unit id → role; for org admins every unit of the organization, as Owner. */
  units: Map<string, OuRole>;
}

export function createAuthRepository(db: Db) {
  return {
    /**
     * The member a token names, with its OUs, when the token is still good: same organization, same
     * token version, session not logged out. The session check rides on the member lookup (a primary
     * key probe of revoked_sessions), so a request costs no extra round trip.
     */
    async findMemberAccess(claims: Omit<SessionClaims, 'expiresAt'>): Promise<MemberAccess | undefined> {
      const member = await db
        .selectFrom('members')
        .select(['id', 'org_id', 'email', 'role'])
        .where('id', '=', claims.memberId)
        .where('org_id', '=', claims.orgId)
        .where('token_version', '=', claims.version)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('revoked_sessions')
                .select(sql.lit(1).as('one'))
                .where('revoked_sessions.org_id', '=', claims.orgId)
                .where('revoked_sessions.session_id', '=', claims.sessionId),
            ),
          ),
        )
        .executeTakeFirst();
      if (!member) return undefined;
      const units = new Map<string, OuRole>();
      if (member.role === 'admin') {
        const rows = await db.selectFrom('org_units').select('id').where('org_id', '=', member.org_id).execute();
        for (const row of rows) units.set(row.id, 'Owner');
      } else {
        const rows = await db
          .selectFrom('ou_memberships')
          .select(['unit_id', 'role'])
          .where('org_id', '=', member.org_id)
          .where('member_id', '=', member.id)
          .execute();
        for (const row of rows) units.set(row.unit_id, row.role);
      }
      return { id: member.id, orgId: member.org_id, email: member.email, orgRole: member.role, units };
    },

    findCredentialByClientId(clientId: string) {
      return db
        .selectFrom('api_credentials')
        .select(['id', 'org_id', 'unit_id', 'secret_hash', 'last_used_at'])
        .where('client_id', '=', clientId)
        .executeTakeFirst();
    },

    async touchCredential(id: string): Promise<void> {
      await db.updateTable('api_credentials').set({ last_used_at: new Date() }).where('id', '=', id).execute();
    },

    /** Ends one session until its token would have expired anyway. */
    async revokeSession(orgId: string, sessionId: string, expiresAt: Date): Promise<void> {
      await db
        .insertInto('revoked_sessions')
        .values({ org_id: orgId, session_id: sessionId, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['org_id', 'session_id']).doNothing())
        .execute();
    },

    /** Rows of tokens that have expired are no longer needed: an expired token is refused anyway. */
    async purgeExpiredSessions(): Promise<void> {
      await db.deleteFrom('revoked_sessions').where('expires_at', '<', new Date()).execute();
    },

    /** Ends every token of the member. */
    async bumpTokenVersion(orgId: string, memberId: string): Promise<boolean> {
      const result = await db
        .updateTable('members')
        .set((eb) => ({ token_version: eb('token_version', '+', 1) }))
        .where('org_id', '=', orgId)
        .where('id', '=', memberId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

export type AuthRepository = ReturnType<typeof createAuthRepository>;
