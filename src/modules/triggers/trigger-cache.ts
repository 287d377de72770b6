import { triggerSetVersion, type ActiveTrigger, type TriggerFiringRepository, type UnitKey } from './trigger-firing.repository.js';

/**
 * The scoring worker's in-process copy of each OU's active triggers (docs/triggers.md "Performance").
 * It is never trusted alone: every batch that uses it reads the OUs' trigger versions (each active
 * trigger's id and `xmin`, which any insert, update or delete changes) in the statement it runs
 * anyway, inside the scoring transaction, and reads the triggers again when they differ. So a trigger
 * created, changed or deleted by any process counts from the first batch whose statement sees it,
 * as when every batch read the triggers; no notification has to reach this process first.
 */
interface CachedSet {
  version: string;
  triggers: ActiveTrigger[];
}

/** OUs kept; past this the oldest entry goes (a miss only costs one read). */
const MAX_UNITS = 2000;
const sets = new Map<string, CachedSet>();
const keyOf = (u: UnitKey) => `${u.org_id}:${u.unit_id}`;

/** The cached active triggers of these OUs, or null when one of them is not cached. */
export function cachedTriggers(units: UnitKey[]): ActiveTrigger[] | null {
  const out: ActiveTrigger[] = [];
  for (const u of units) {
    const set = sets.get(keyOf(u));
    if (!set) return null;
    out.push(...set.triggers);
  }
  return out;
}

/** Whether the versions read in this transaction are those of the cached sets. */
export function cacheIsCurrent(units: UnitKey[], versions: Map<string, string>): boolean {
  return units.every((u) => sets.get(keyOf(u))?.version === (versions.get(keyOf(u)) ?? ''));
}

/** Reads these OUs' active triggers (one statement, in the caller's transaction) and caches them. */
export async function refreshTriggers(repo: TriggerFiringRepository, units: UnitKey[]): Promise<ActiveTrigger[]> {
  const triggers = await repo.activeTriggers(units);
  for (const u of units) {
    const own = triggers.filter((t) => t.org_id === u.org_id && t.unit_id === u.unit_id);
    sets.delete(keyOf(u));
    sets.set(keyOf(u), { version: triggerSetVersion(own), triggers: own });
  }
  while (sets.size > MAX_UNITS) sets.delete(sets.keys().next().value as string);
  return triggers;
}
