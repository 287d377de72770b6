import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { Milestone } from '../../db/types.js';
import { notFound } from '../../http/errors.js';
import type { LeadsService } from '../leads/leads.service.js';
import { attributionInsights } from './deals-attribution.repository.js';
import { createDealsRepository, type DealRow } from './deals.repository.js';
import type { Deal, DealDetail, DealInput, DealPatch } from './deals.schemas.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toDeal(row: DealRow): Deal {
  return {
    deal_id: row.id,
    name: row.name,
    stage: row.stage,
    milestone: row.milestone,
    amount: Number(row.amount),
    account_id: row.account_id,
    contact_lead_ids: row.contact_lead_ids,
    closed_at: iso(row.closed_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The milestone a write enters: the new one when it differs from the one before (semantics §8). */
function entered(before: Milestone | null, after: Milestone | null): Milestone | null {
  return after !== null && after !== before ? after : null;
}

/**
 * Lead merge: explicit deal contacts move to the target inside the merge transaction. Recorded
 * milestone scores stay with the source lead: they are what that lead scored at the time.
 */
export function moveLeadDealContacts(trx: Db, t: Tenant, from: string[], to: string): Promise<void> {
  return createDealsRepository(trx).moveContacts(t, from, to);
}

export interface DealsServiceDeps {
  db: Db;
  leads: Pick<LeadsService, 'requireLead'>;
}

/** Deals with contacts and milestone scores (semantics §8), and attribution insights (seed 000). */
export function createDealsService(deps: DealsServiceDeps) {
  const repo = createDealsRepository(deps.db);

  /** Every explicit contact must be a lead of the OU (404 naming none of another OU's). */
  async function checkContacts(t: Tenant, ids: string[] | undefined) {
    for (const id of ids ?? []) await deps.leads.requireLead(t, id);
  }

  async function detail(t: Tenant, id: string): Promise<DealDetail> {
    const row = await repo.find(t, id);
    if (!row) throw notFound('deal');
    const [contacts, scores] = await Promise.all([repo.contacts(t, id), repo.milestoneScores(t, id)]);
    return { ...toDeal(row), contacts, milestone_scores: scores.map((s) => ({ ...s, recorded_at: s.recorded_at.toISOString() })) };
  }

  return {
    detail,
    async list(t: Tenant, q: { page: number; limit: number; stage?: string | undefined }) {
      const { rows, total } = await repo.list(t, q.stage, q.page, q.limit);
      return { deals: rows.map(toDeal), total, page: q.page, limit: q.limit };
    },

    /** `source` tags a deal made by the sample data (POST /admin/seed); clients' deals have none. */
    async create(t: Tenant, input: DealInput, source: string | null = null): Promise<DealDetail> {
      await checkContacts(t, input.contact_lead_ids);
      const id = await deps.db.transaction().execute(async (trx) => {
        const r = createDealsRepository(trx);
        const row = await r.insert({
          org_id: t.orgId,
          unit_id: t.unitId,
          name: input.name,
          stage: input.stage,
          amount: input.amount,
          account_id: input.account_id ?? null,
          closed_at: input.closed_at ?? null,
          source,
        });
        await r.replaceContacts(t, row.id, input.contact_lead_ids ?? []);
        await enterMilestone(r, t, row.id, entered(null, row.milestone), row.closed_at);
        return row.id;
      });
      return detail(t, id);
    },

    async update(t: Tenant, id: string, patch: DealPatch): Promise<DealDetail> {
      await checkContacts(t, patch.contact_lead_ids);
      const found = await deps.db.transaction().execute(async (trx) => {
        const r = createDealsRepository(trx);
        const { contact_lead_ids: contactIds, ...fields } = patch;
        const changed = await r.update(t, id, fields);
        if (!changed) return false;
        if (contactIds !== undefined) await r.replaceContacts(t, id, contactIds);
        await enterMilestone(r, t, id, entered(changed.before.milestone, changed.after.milestone), changed.after.closed_at);
        return true;
      });
      if (!found) throw notFound('deal');
      return detail(t, id);
    },

    removeOfSource: (t: Tenant, source: string) => repo.removeOfSource(t, source),

    async remove(t: Tenant, id: string) {
      if (!(await repo.remove(t, id))) throw notFound('deal');
    },

    insights: (t: Tenant) => attributionInsights(deps.db, t),
  };
}

/** Records the contacts' scores for an entered milestone; entering closed-won stamps closed_at when it has none. */
async function enterMilestone(r: ReturnType<typeof createDealsRepository>, t: Tenant, dealId: string, milestone: Milestone | null, closedAt: Date | null) {
  if (milestone === null) return;
  await r.recordMilestone(t, dealId, milestone);
  if (milestone === 'close' && closedAt === null) await r.update(t, dealId, { closed_at: new Date() });
}

export type DealsService = ReturnType<typeof createDealsService>;
