import type { z } from 'zod';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { JsonObject } from '../../db/types.js';
import { notFound } from '../../http/errors.js';
import { leadRowsIn, type LeadsService } from '../leads/leads.service.js';
import { rangeWindow } from '../scores/scores.service.js';
import { createAccountsReadRepository, type AccountListRow } from './accounts.read.repository.js';
import { createAccountsRepository, type AccountRow } from './accounts.repository.js';
import type { accountListItemSchema, accountListQuery } from './accounts.schemas.js';
import { createPropertyScoresRepository } from './property-scores.repository.js';
import { createPropertyScoringRepository } from './property-scoring.repository.js';

const DETAIL_LEADS = 100;
const DETAIL_EVENTS = 20;

const base = (t: Tenant, a: Pick<AccountRow, 'id' | 'domain' | 'name' | 'metadata' | 'created_at' | 'updated_at'>) => ({
  account_id: a.id,
  org_id: t.orgId,
  unit_id: t.unitId,
  domain: a.domain,
  name: a.name,
  metadata: a.metadata as JsonObject,
  created_at: a.created_at.toISOString(),
  updated_at: a.updated_at.toISOString(),
});

function toListItem(t: Tenant, r: AccountListRow): z.infer<typeof accountListItemSchema> {
  return { ...base(t, r), top_score: r.top_score, leads_count: r.leads_count, owner_name: r.owner_name, surging: r.surging, intent_level: r.intent_level };
}

/** Accounts (ABM): list, detail, batch delete/unlink, a lead's account, account metadata keys. */
export function createAccountsService(deps: { db: Db; leads: Pick<LeadsService, 'requireLead'> }) {
  const { db } = deps;
  const repo = createAccountsRepository(db);
  const reads = createAccountsReadRepository(db);
  const scores = createPropertyScoresRepository(db);
  const config = createPropertyScoringRepository(db);

  /** The account with its aggregate, account score and level. */
  async function summary(t: Tenant, account: AccountRow) {
    const { rules } = await config.scoringRules(t, 'account');
    const scored = await scores.scoreOf(t, 'account', account.id, rules);
    const top = await reads.topLeads(t, account.id, DETAIL_LEADS);
    const agg = await reads.aggregate(t, account.id);
    return {
      ...base(t, account),
      top_score: agg.top_score,
      leads_count: agg.leads_count,
      account_score: scored?.score ?? 0,
      account_level: scored?.level ?? null,
      top,
    };
  }

  return {
    async list(t: Tenant, q: z.infer<typeof accountListQuery>) {
      const filters = { ...rangeWindow(q.range, new Date()), ...(q.search && { search: q.search }), ...(q.intent_level !== 'all' && { intentLevel: q.intent_level }) };
      const rows = await reads.list(t, filters, q.page, q.limit);
      return { accounts: rows.map((r) => toListItem(t, r)), total: rows[0]?.total ?? 0, page: q.page, limit: q.limit };
    },

    async get(t: Tenant, id: string) {
      const account = await repo.findAccount(t, id);
      if (!account) throw notFound('account');
      const { top, ...rest } = await summary(t, account);
      const events = await reads.recentEvents(t, id, DETAIL_EVENTS);
      return {
        ...rest,
        leads: top.map((l) => ({ lead_id: l.lead_id, score: l.score, created_at: l.created_at.toISOString(), metadata: l.metadata as JsonObject })),
        recent_events: events.map((e) => ({ ...e, occurred_at: e.occurred_at.toISOString() })),
      };
    },

    /** Unlinks the OU's leads from the accounts, then deletes the accounts no lead references (all of them, now). */
    /** Sample data: accounts tagged `metadata.source`; answers how many were created. */
    createMany: (t: Tenant, rows: Array<{ id: string; domain: string; name: string; metadata: Record<string, unknown> }>) => repo.insertMany(t, rows),
    idsOfSource: (t: Tenant, source: string) => repo.idsOfSource(t, source),

    batchDelete(t: Tenant, ids: string[]) {
      return db.transaction().execute(async (trx) => {
        const accounts = createAccountsRepository(trx);
        const found = new Set(await accounts.existing(t, ids));
        const unlinked = await leadRowsIn(trx).unlinkAccounts(t, [...found]);
        const deleted = await accounts.deleteUnreferenced(t, [...found]);
        return { deleted: ids.filter((id) => deleted.includes(id)), unlinked_leads: unlinked, not_found: ids.filter((id) => !found.has(id)) };
      });
    },

    async leadAccount(t: Tenant, leadId: string) {
      const lead = await deps.leads.requireLead(t, leadId);
      const account = lead.account_id ? await repo.findAccount(t, lead.account_id) : undefined;
      if (!account) return { lead_id: lead.id, account: null };
      const { top: _top, ...rest } = await summary(t, account);
      return { lead_id: lead.id, account: rest };
    },

    properties: (t: Tenant) => scores.metadataKeys(t, 'account'),
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
