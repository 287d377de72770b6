import type { Db } from '../../db/database.js';

export interface NewUnit {
  orgId: string;
  unitId: string;
}

type Provisioner = (trx: Db, unit: NewUnit) => Promise<void>;

/**
 * The hook that gives every new OU its defaults (semantics §3: primary ruleset, levels, surge
 * policy). Modules owning those tables add a provisioner; OU creation runs them all in its
 * transaction, so an OU never exists without its defaults.
 */
export function createUnitDefaults() {
  const provisioners: Provisioner[] = [];
  return {
    add(provisioner: Provisioner): void {
      provisioners.push(provisioner);
    },
    async apply(trx: Db, unit: NewUnit): Promise<void> {
      for (const provision of provisioners) await provision(trx, unit);
    },
  };
}

export type UnitDefaults = ReturnType<typeof createUnitDefaults>;
