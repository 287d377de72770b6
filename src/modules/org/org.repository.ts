import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { MembersTable, OrgUnitsTable, OrganizationsTable, OuMembershipsTable } from '../../db/types.js';

export type Organization = Selectable<OrganizationsTable>;
export type OrgUnit = Selectable<OrgUnitsTable>;
export type Member = Selectable<MembersTable>;
export type Membership = Selectable<OuMembershipsTable>;

/** Every column but the password hash; the token version is what a new session is signed with. */
const MEMBER_PUBLIC = ['id', 'org_id', 'email', 'first_name', 'last_name', 'role', 'verified', 'created_at', 'token_version'] as const;
export type PublicMember = Pick<Member, (typeof MEMBER_PUBLIC)[number]>;

/** Organizations, OUs, members and OU memberships: the tenancy tables. */
export function createOrgRepository(db: Db) {
  return {
    createOrganization(values: Insertable<OrganizationsTable>) {
      return db.insertInto('organizations').values(values).returningAll().executeTakeFirstOrThrow();
    },
    findOrganization(orgId: string) {
      return db.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirst();
    },

    createUnit(values: Insertable<OrgUnitsTable>) {
      return db.insertInto('org_units').values(values).returningAll().executeTakeFirstOrThrow();
    },
    findUnit(orgId: string, unitId: string) {
      return db.selectFrom('org_units').selectAll().where('org_id', '=', orgId).where('id', '=', unitId).executeTakeFirst();
    },
    slugTaken(orgId: string, slug: string, exceptUnitId?: string) {
      return db
        .selectFrom('org_units')
        .select('id')
        .where('org_id', '=', orgId)
        .where('slug', '=', slug)
        .$if(exceptUnitId !== undefined, (q) => q.where('id', '!=', exceptUnitId as string))
        .executeTakeFirst()
        .then(Boolean);
    },
    updateUnit(orgId: string, unitId: string, values: Updateable<OrgUnitsTable>) {
      return db
        .updateTable('org_units')
        .set(values)
        .where('org_id', '=', orgId)
        .where('id', '=', unitId)
        .returningAll()
        .executeTakeFirst();
    },
    /** Units a member sees with its role in each: all of them, as Owner, for an org admin. */
    listUnitsOf(member: { id: string; org_id: string; role: 'admin' | 'member' }) {
      if (member.role === 'admin') {
        return db
          .selectFrom('org_units')
          .selectAll()
          .select((eb) => eb.val<'Owner' | 'Operator' | 'Viewer'>('Owner').as('member_role'))
          .where('org_id', '=', member.org_id)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
      }
      return db
        .selectFrom('org_units as u')
        .innerJoin('ou_memberships as m', 'm.unit_id', 'u.id')
        .selectAll('u')
        .select('m.role as member_role')
        .where('m.member_id', '=', member.id)
        .orderBy('u.created_at')
        .orderBy('u.id')
        .execute();
    },

    createMember(values: Insertable<MembersTable>) {
      return db.insertInto('members').values(values).returning(MEMBER_PUBLIC).executeTakeFirstOrThrow();
    },
    findMemberForLogin(email: string) {
      return db
        .selectFrom('members')
        .selectAll()
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
        .executeTakeFirst();
    },
    findMember(orgId: string, memberId: string) {
      return db
        .selectFrom('members')
        .select(MEMBER_PUBLIC)
        .where('org_id', '=', orgId)
        .where('id', '=', memberId)
        .executeTakeFirst();
    },
    listMembers(orgId: string) {
      return db.selectFrom('members').select(MEMBER_PUBLIC).where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
    },
    /** `endSessions` bumps the token version in the same statement, ending every token of the member. */
    updateMember(orgId: string, memberId: string, values: Updateable<MembersTable>, endSessions = false) {
      return db
        .updateTable('members')
        .set(values)
        .$if(endSessions, (q) => q.set((eb) => ({ token_version: eb('token_version', '+', 1) })))
        .where('org_id', '=', orgId)
        .where('id', '=', memberId)
        .returning(MEMBER_PUBLIC)
        .executeTakeFirst();
    },
    /** Re-hashed with today's parameters; only when the hash is still the one that was checked. */
    async replacePasswordHash(orgId: string, memberId: string, oldHash: string, newHash: string): Promise<void> {
      await db
        .updateTable('members')
        .set({ password_hash: newHash })
        .where('org_id', '=', orgId)
        .where('id', '=', memberId)
        .where('password_hash', '=', oldHash)
        .execute();
    },
    deleteMember(orgId: string, memberId: string) {
      return db.deleteFrom('members').where('org_id', '=', orgId).where('id', '=', memberId).executeTakeFirst();
    },
    countAdmins(orgId: string) {
      return db
        .selectFrom('members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('org_id', '=', orgId)
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow()
        .then((r) => Number(r.n));
    },

    listMemberships(orgId: string, unitId: string, memberId?: string) {
      return db
        .selectFrom('ou_memberships as om')
        .innerJoin('members as m', 'm.id', 'om.member_id')
        .select(['om.member_id', 'om.unit_id', 'om.role', 'om.created_at', 'm.email', 'm.first_name', 'm.last_name'])
        .where('om.org_id', '=', orgId)
        .where('om.unit_id', '=', unitId)
        .$if(memberId !== undefined, (q) => q.where('om.member_id', '=', memberId as string))
        .orderBy('om.created_at')
        .orderBy('om.member_id')
        .execute();
    },
    findMembership(unitId: string, memberId: string) {
      return db
        .selectFrom('ou_memberships')
        .selectAll()
        .where('unit_id', '=', unitId)
        .where('member_id', '=', memberId)
        .executeTakeFirst();
    },
    upsertMembership(values: Insertable<OuMembershipsTable>) {
      return db
        .insertInto('ou_memberships')
        .values(values)
        .onConflict((oc) => oc.columns(['unit_id', 'member_id']).doUpdateSet({ role: values.role }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    updateMembershipRole(unitId: string, memberId: string, role: Membership['role']) {
      return db
        .updateTable('ou_memberships')
        .set({ role })
        .where('unit_id', '=', unitId)
        .where('member_id', '=', memberId)
        .returningAll()
        .executeTakeFirst();
    },
    deleteMembership(unitId: string, memberId: string) {
      return db.deleteFrom('ou_memberships').where('unit_id', '=', unitId).where('member_id', '=', memberId).executeTakeFirst();
    },
  };
}

export type OrgRepository = ReturnType<typeof createOrgRepository>;
