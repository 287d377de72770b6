import type { Db } from '../db/database.js';
import type { OrgRole, OuRole } from './access.js';

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
    async findMemberAccess(memberId: string): Promise<MemberAccess | undefined> {
      const member = await db
        .selectFrom('members')
        .select(['id', 'org_id', 'email', 'role'])
        .where('id', '=', memberId)
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
  };
}

export type AuthRepository = ReturnType<typeof createAuthRepository>;
