/** Who may call a route: declared on every route as `config.access` and enforced by the auth plugin. */
export type OuRole = 'Owner' | 'Operator' | 'Viewer';
export type OrgRole = 'admin' | 'member';

export type Access =
  | { auth: 'none' }
  | {
      /** `jwt`: member sessions only (routes.md "J"); `any`: member sessions or Basic credentials ("J,B"). */
      auth: 'jwt' | 'any';
      /** Needs a resolved active OU (routes.md "OU yes"). */
      ou: boolean;
      /** Least OU role in the active OU; checked only when `ou` is true. */
      role?: OuRole;
      orgAdmin?: boolean;
    };

const RANK: Record<OuRole, number> = { Viewer: 1, Operator: 2, Owner: 3 };

export function roleAtLeast(role: OuRole | null, least: OuRole): boolean {
  return role !== null && RANK[role] >= RANK[least];
}

export const access = {
  public: { auth: 'none' } as Access,
  /** A signed-in member, no OU needed. */
  member: { auth: 'jwt', ou: false } as Access,
  orgAdmin: { auth: 'jwt', ou: false, orgAdmin: true } as Access,
  /** Member session or Basic, active OU, least role. */
  ou: (role: OuRole = 'Viewer'): Access => ({ auth: 'any', ou: true, role }),
  /** Member session only, active OU, least role. */
  ouMember: (role: OuRole = 'Viewer'): Access => ({ auth: 'jwt', ou: true, role }),
  /** Any authenticated caller, no OU needed. */
  anyCaller: { auth: 'any', ou: false } as Access,
};

/** What a caller authenticated with, so a long request (GET /stream) can check it again later. */
export type Grant =
  | { kind: 'session'; sessionId: string; version: number; expiresAt: number }
  | { kind: 'credential'; clientId: string };

export interface AuthContext {
  via: 'jwt' | 'basic';
  grant: Grant;
  orgId: string;
  memberId: string | null;
  email: string | null;
  orgRole: OrgRole | null;
  credentialId: string | null;
  /** The active OU, when one could be resolved. */
  unitId: string | null;
  /**
   * Why the activeOu cookie was refused (altered, stale or another organization's), else null.
   * Routes that need the active OU answer 403 with it; the others work without an active OU.
   */
  activeOuRefused: string | null;
  /** The caller's role in the active OU. */
  role: OuRole | null;
  /** The caller's role in any OU of its organization (org admins are Owner everywhere). */
  roleIn(unitId: string): OuRole | null;
}
