import type { z } from 'zod';
import type { Tenant } from '../../auth/tenant.js';
import { notFound } from '../../http/errors.js';
import type { ScoringRepository } from './scoring.repository.js';
import type { createDecayBody, createFilterBody, updateDecayBody, updateFilterBody } from './scoring.schemas.js';

/** Decay rules and inorganic filters: plain per-OU configuration rows. */
export function createDecaysFiltersService(repo: ScoringRepository) {
  return {
    decays: {
      list: (t: Tenant) => repo.listDecays(t),
      create: (t: Tenant, input: z.infer<typeof createDecayBody>) => repo.createDecay({ org_id: t.orgId, unit_id: t.unitId, ...input }),
      async update(t: Tenant, id: string, input: z.infer<typeof updateDecayBody>) {
        const row = await repo.updateDecay(t, id, input);
        if (!row) throw notFound('decay rule');
        return row;
      },
      async delete(t: Tenant, id: string) {
        if (!(await repo.deleteDecay(t, id))) throw notFound('decay rule');
      },
    },
    filters: {
      list: (t: Tenant) => repo.listFilters(t),
      create: (t: Tenant, memberId: string | null, input: z.infer<typeof createFilterBody>) =>
        repo.createFilter({ org_id: t.orgId, unit_id: t.unitId, ...input, created_by: memberId, updated_by: memberId }),
      async update(t: Tenant, memberId: string | null, id: string, input: z.infer<typeof updateFilterBody>) {
        const row = await repo.updateFilter(t, id, { ...input, updated_by: memberId });
        if (!row) throw notFound('filter');
        return row;
      },
      async delete(t: Tenant, id: string) {
        if (!(await repo.deleteFilter(t, id))) throw notFound('filter');
      },
    },
  };
}
