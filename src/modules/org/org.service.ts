import { randomBytes } from 'node:crypto';
import { roleAtLeast, type AuthContext, type OuRole } from '../../auth/access.js';
import type { RevocationBus } from '../../auth/revocations.js';
import type { PasswordHasher } from '../../auth/secrets.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError, conflict, forbidden, notFound } from '../../http/errors.js';
import { createOrgRepository, type OrgRepository, type OrgUnit } from './org.repository.js';
import { slugify } from './org.schemas.js';
import type { UnitDefaults } from './unit-defaults.js';

const DEFAULT_UNIT_NAME = 'Default';

async function uniqueSlug(repo: OrgRepository, orgId: string, name: string, exceptUnitId?: string): Promise<string> {
  const base = slugify(name);
  if (!(await repo.slugTaken(orgId, base, exceptUnitId))) return base;
  return `${base}-${randomBytes(3).toString('hex')}`;
}

function duplicateUnitName(error: unknown): never {
  if (isUniqueViolation(error, 'org_units_org_lower_name')) throw conflict('an OU with this name already exists');
  throw error;
}

/** Creates an OU with its defaults and makes `ownerId` its Owner, all in the caller's transaction. */
async function insertUnit(trx: Db, unitDefaults: UnitDefaults, orgId: string, name: string, ownerId: string) {
  const repo = createOrgRepository(trx);
  const unit = await repo
    .createUnit({ org_id: orgId, name, slug: await uniqueSlug(repo, orgId, name) })
    .catch(duplicateUnitName);
  await repo.upsertMembership({ org_id: orgId, unit_id: unit.id, member_id: ownerId, role: 'Owner' });
  await unitDefaults.apply(trx, { orgId, unitId: unit.id });
  return unit;
}

export interface SignupInput {
  organization_name: string;
  first_name: string;
  last_name: string;
  email: string;
  password: string;
}

export function createOrgService(deps: { db: Db; unitDefaults: UnitDefaults; revocations: RevocationBus; passwords: PasswordHasher }) {
  const { db, unitDefaults } = deps;
  const repo = createOrgRepository(db);

  /** After a committed change that may take access away from the member: open streams check again. */
  const accessChanged = (orgId: string, memberId: string) => deps.revocations.publish({ kind: 'member', orgId, memberId });

  /** The unit named in a path, which must belong to the caller's organization (else 404). */
  async function unitInOrg(auth: AuthContext, unitId: string): Promise<OrgUnit> {
    const unit = await repo.findUnit(auth.orgId, unitId);
    if (!unit) throw notFound('OU');
    return unit;
  }

  async function requireRoleIn(auth: AuthContext, unitId: string, least: OuRole): Promise<OrgUnit> {
    const unit = await unitInOrg(auth, unitId);
    const role = auth.roleIn(unitId);
    if (role === null) throw forbidden('you are not a member of this OU');
    if (!roleAtLeast(role, least)) throw forbidden(`this needs the ${least} role in this OU`);
    return unit;
  }

  /** Operators manage Viewers and Operators; only Owners grant, change or remove Owner. */
  function guardOwnerGrant(auth: AuthContext, unitId: string, roles: Array<OuRole | undefined>) {
    if (roles.includes('Owner') && auth.roleIn(unitId) !== 'Owner') {
      throw forbidden('only an Owner of this OU can grant, change or remove the Owner role');
    }
  }

  async function memberInOrg(auth: AuthContext, memberId: string) {
    const member = await repo.findMember(auth.orgId, memberId);
    if (!member) throw notFound('member');
    return member;
  }

  return {
    async signup(input: SignupInput) {
      const passwordHash = await deps.passwords.hash(input.password);
      return db.transaction().execute(async (trx) => {
        const txRepo = createOrgRepository(trx);
        const organization = await txRepo.createOrganization({
          name: input.organization_name,
          slug: slugify(input.organization_name),
          webhook_secret: randomBytes(32).toString('hex'),
        });
        const member = await txRepo
          .createMember({
            org_id: organization.id,
            email: input.email,
            first_name: input.first_name,
            last_name: input.last_name,
            password_hash: passwordHash,
            role: 'admin',
            verified: true,
          })
          .catch((error: unknown) => {
            if (isUniqueViolation(error, 'members_email')) throw conflict('a member with this email already exists');
            throw error;
          });
        const unit = await insertUnit(trx, unitDefaults, organization.id, DEFAULT_UNIT_NAME, member.id);
        return { organization, member, unit };
      });
    },

    async listUnits(auth: AuthContext) {
      const member = await memberInOrg(auth, auth.memberId ?? '');
      const [units, organization] = await Promise.all([repo.listUnitsOf(member), repo.findOrganization(auth.orgId)]);
      if (!organization) throw notFound('organization');
      return { units, organization };
    },

    createUnit(auth: AuthContext, name: string) {
      return db.transaction().execute((trx) => insertUnit(trx, unitDefaults, auth.orgId, name, auth.memberId ?? ''));
    },

    async updateUnit(
      auth: AuthContext,
      unitId: string,
      input: { name: string; session_timeout_minutes?: number | undefined; conversion_event_types?: string[] | undefined },
    ) {
      const unit = await requireRoleIn(auth, unitId, 'Owner');
      const slug = input.name === unit.name ? unit.slug : await uniqueSlug(repo, auth.orgId, input.name, unitId);
      const updated = await repo
        .updateUnit(auth.orgId, unitId, {
          name: input.name,
          slug,
          ...(input.session_timeout_minutes !== undefined ? { session_timeout_minutes: input.session_timeout_minutes } : {}),
          ...(input.conversion_event_types !== undefined ? { conversion_event_types: input.conversion_event_types } : {}),
        })
        .catch(duplicateUnitName);
      if (!updated) throw notFound('OU');
      return updated;
    },

    async activate(auth: AuthContext, unitId: string) {
      const unit = await unitInOrg(auth, unitId);
      if (auth.roleIn(unitId) === null) throw forbidden('you are not a member of this OU');
      return unit;
    },

    listMembers: (auth: AuthContext) => repo.listMembers(auth.orgId),

    async createMember(auth: AuthContext, input: { first_name: string; last_name: string; email: string; password: string; role: 'admin' | 'member' }) {
      const member = await repo
        .createMember({
          org_id: auth.orgId,
          email: input.email,
          first_name: input.first_name,
          last_name: input.last_name,
          password_hash: await deps.passwords.hash(input.password),
          role: input.role,
        })
        .catch((error: unknown) => {
          if (isUniqueViolation(error, 'members_email')) throw conflict('a member with this email already exists');
          throw error;
        });
      return member;
    },

    async updateMember(
      auth: AuthContext,
      memberId: string,
      input: { first_name?: string | undefined; last_name?: string | undefined; email?: string | undefined; role?: 'admin' | 'member' | undefined; password?: string | undefined },
    ) {
      const current = await memberInOrg(auth, memberId);
      if (current.role === 'admin' && input.role === 'member' && (await repo.countAdmins(auth.orgId)) <= 1) {
        throw conflict('the organization needs at least one admin');
      }
      const { password, ...fields } = input;
      const values = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      if (password !== undefined) values.password_hash = await deps.passwords.hash(password);
      // A new password ends every token of the member (semantics §1), whoever changed it.
      const updated = await repo.updateMember(auth.orgId, memberId, values, password !== undefined).catch((error: unknown) => {
        if (isUniqueViolation(error, 'members_email')) throw conflict('a member with this email already exists');
        throw error;
      });
      if (!updated) throw notFound('member');
      await accessChanged(auth.orgId, memberId);
      return updated;
    },

    async deleteMember(auth: AuthContext, memberId: string) {
      const current = await memberInOrg(auth, memberId);
      if (current.role === 'admin' && (await repo.countAdmins(auth.orgId)) <= 1) {
        throw conflict('the organization needs at least one admin');
      }
      await repo.deleteMember(auth.orgId, memberId);
      await accessChanged(auth.orgId, memberId);
    },

    async listMemberships(auth: AuthContext, unitId: string) {
      await requireRoleIn(auth, unitId, 'Viewer');
      return repo.listMemberships(auth.orgId, unitId);
    },

    async assignMember(auth: AuthContext, unitId: string, memberId: string, role: OuRole) {
      await requireRoleIn(auth, unitId, 'Operator');
      await memberInOrg(auth, memberId);
      const existing = await repo.findMembership(unitId, memberId);
      guardOwnerGrant(auth, unitId, [role, existing?.role]);
      await repo.upsertMembership({ org_id: auth.orgId, unit_id: unitId, member_id: memberId, role });
      return membershipView(repo, auth.orgId, unitId, memberId);
    },

    async updateMembership(auth: AuthContext, unitId: string, memberId: string, role: OuRole) {
      await requireRoleIn(auth, unitId, 'Operator');
      const existing = await repo.findMembership(unitId, memberId);
      if (!existing || existing.org_id !== auth.orgId) throw notFound('membership');
      guardOwnerGrant(auth, unitId, [role, existing.role]);
      await repo.updateMembershipRole(unitId, memberId, role);
      return membershipView(repo, auth.orgId, unitId, memberId);
    },

    async removeMembership(auth: AuthContext, unitId: string, memberId: string) {
      await requireRoleIn(auth, unitId, 'Operator');
      const existing = await repo.findMembership(unitId, memberId);
      if (!existing || existing.org_id !== auth.orgId) throw notFound('membership');
      guardOwnerGrant(auth, unitId, [existing.role]);
      await repo.deleteMembership(unitId, memberId);
      await accessChanged(auth.orgId, memberId);
    },
  };
}

async function membershipView(repo: OrgRepository, orgId: string, unitId: string, memberId: string) {
  const [row] = await repo.listMemberships(orgId, unitId, memberId);
  if (!row) throw new AppError('internal_error', 'membership vanished');
  return row;
}

export type OrgService = ReturnType<typeof createOrgService>;
