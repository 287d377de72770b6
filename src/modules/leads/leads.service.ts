import type { Db } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import type { Tenant } from '../../auth/tenant.js';
import { createLeadsRepository } from './leads.repository.js';
import type { LeadAlias } from './leads.schemas.js';

type AliasRow = Awaited<ReturnType<ReturnType<typeof createLeadsRepository>['listAliases']>>[number];

function toLeadAlias(row: AliasRow): LeadAlias {
  return { alias_kind: row.kind, value: row.value, created_at: row.created_at.toISOString() };
}

/** Use cases of the lead itself; other modules ask it whether a lead exists instead of reading `leads`. */
export function createLeadsService(deps: { db: Db }) {
  const repo = createLeadsRepository(deps.db);

  /** The lead of the active OU, or 404 `not_found` (also for a lead of another OU). */
  async function requireLead(t: Tenant, leadId: string) {
    const lead = await repo.findLead(t, leadId);
    if (!lead) throw notFound('lead');
    return lead;
  }

  return {
    requireLead,

    async listAliases(t: Tenant, leadId: string): Promise<LeadAlias[]> {
      await requireLead(t, leadId);
      return (await repo.listAliases(t, leadId)).map(toLeadAlias);
    },
  };
}

export type LeadsService = ReturnType<typeof createLeadsService>;
