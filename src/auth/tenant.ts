import type { AuthContext } from './access.js';

/** The OU a request acts in. Every query of tenant data filters by both, org_id first (docs/scale-out.md). */
export interface Tenant {
  orgId: string;
  unitId: string;
}

/** The active OU of a request: the auth plugin has resolved it on every route declared with `ou: true`. */
export function tenantOf(auth: AuthContext): Tenant {
  return { orgId: auth.orgId, unitId: auth.unitId as string };
}
