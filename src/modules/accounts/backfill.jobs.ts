import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { lockLeads } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import type { JsonObject, PropertyKind } from '../../db/types.js';
import type { JobStep } from '../../jobs/job-runner.js';
import { createJobsRepository } from '../../jobs/jobs.repository.js';
import { mappedEventFields, stampEventAccounts } from '../events/events.service.js';
import { leadRowsIn } from '../leads/leads.service.js';
import { leadDomain } from './account-domain.js';
import { createAccountsRepository } from './accounts.repository.js';
import { applyMappings, groupByUnit, type MappingOutcome } from './field-mappings.apply.js';
import { createPropertyScoringRepository } from './property-scoring.repository.js';

export const PROFILE_APPLY_JOB = 'profile_mappings_apply';
export const ACCOUNTS_BACKFILL_JOB = 'accounts_backfill';
export const EVENT_ACCOUNTS_BACKFILL_JOB = 'event_accounts_backfill';

/** The counters of each job's progress, as the seed names them (zero until a step adds to them). */
export const JOB_COUNTERS: Record<string, string[]> = {
  [PROFILE_APPLY_JOB]: ['leads_processed', 'leads_updated'],
  [ACCOUNTS_BACKFILL_JOB]: ['leads_processed', 'accounts_linked', 'accounts_created', 'profile_scores_updated'],
  [EVENT_ACCOUNTS_BACKFILL_JOB]: ['events_scanned', 'events_updated', 'leads_without_account'],
};

/** Leads per step: each step is one short transaction (at most this many lead locks, see src/db/locks.ts). */
export const LEADS_PER_STEP = 200;

type Page = Awaited<ReturnType<ReturnType<typeof leadRowsIn>['leadPage']>>;
type ProcessPage = (trx: Db, t: Tenant, page: Page) => Promise<Record<string, number>>;

/**
 * A job over every surviving lead of its OU in id order, LEADS_PER_STEP leads per step: each step
 * reads its keyset cursor from the committed progress, processes the page and commits the page's
 * counters with the new cursor in the same transaction. A crash repeats at most the step under way,
 * which is safe because every step only writes what is still missing. Leads created after the
 * cursor passed them are not visited (ingestion applies mappings to them itself).
 */
function leadPagesStep(process: ProcessPage): JobStep {
  return (db, job) =>
    transactionWithRetry(db, async (trx) => {
      const t: Tenant = { orgId: job.org_id, unitId: job.unit_id };
      const jobs = createJobsRepository(trx);
      const progress = ((await jobs.find(t, job.id))?.progress ?? {}) as JsonObject;
      const cursor = typeof progress.cursor === 'string' ? progress.cursor : '';
      const page = await leadRowsIn(trx).leadPage(t, cursor, LEADS_PER_STEP);
      if (page.length === 0) return 'done';
      for (const [counter, n] of Object.entries(await process(trx, t, page))) await jobs.addProgress(job, counter, n);
      await jobs.setProgress(job, 'cursor', page[page.length - 1]?.id ?? cursor);
      return page.length < LEADS_PER_STEP ? 'done' : 'more';
    });
}

/** Replays the OU's mappings of `kinds` from the page's events (ingestion order) onto the leads and their accounts. */
async function replayMappings(trx: Db, t: Tenant, leadIds: string[], kinds: ReadonlySet<PropertyKind>): Promise<MappingOutcome> {
  const mappings = (await createPropertyScoringRepository(trx).mappingsOfUnits([t])).filter((m) => kinds.has(m.kind));
  if (mappings.length === 0) return { leadsUpdated: 0, accountsUpdated: 0 };
  const fields = [...new Set(mappings.map((m) => m.source_field))];
  const events = (await mappedEventFields(trx, t, leadIds, fields)).map((e) => ({ ...t, leadId: e.lead_id, metadata: e.metadata }));
  return applyMappings(trx, events, groupByUnit(mappings), kinds);
}

const PROFILE: ReadonlySet<PropertyKind> = new Set(['profile']);
const BOTH: ReadonlySet<PropertyKind> = new Set(['profile', 'account']);

/** POST /admin/profile-mappings/apply: the profile mappings replayed from every lead's events. */
export const profileApplyStep = (): JobStep =>
  leadPagesStep(async (trx, t, page) => {
    const outcome = await replayMappings(trx, t, page.map((l) => l.id), PROFILE);
    return { leads_processed: page.length, leads_updated: outcome.leadsUpdated };
  });

/**
 * POST /admin/backfill/accounts: each lead without an account is linked to the account of its
 * domain (leadDomain), created when missing; then the profile and account mappings are replayed.
 * Profile scores are computed from lead metadata when read, so `profile_scores_updated` counts the
 * leads whose metadata (the profile score's input) the replay changed.
 */
export const accountsBackfillStep = (): JobStep =>
  leadPagesStep(async (trx, t, page) => {
    // Leads first, in key order, then accounts: the order of ingestion's mapping writes.
    await leadRowsIn(trx).lockLeadRows(page.map((l) => ({ ...t, leadId: l.id })));
    const wanted = page.filter((l) => l.account_id === null).map((l) => ({ id: l.id, domain: leadDomain(l.emails, l.company_domain) }));
    const domains = [...new Set(wanted.flatMap((w) => (w.domain ? [w.domain] : [])))];
    const accounts = await createAccountsRepository(trx).ensureAccounts(t, domains);
    const byDomain = new Map(accounts.map((a) => [a.domain, a.id]));
    const links = wanted.flatMap((w) => (w.domain && byDomain.has(w.domain) ? [{ leadId: w.id, accountId: byDomain.get(w.domain) as string }] : []));
    const linked = await leadRowsIn(trx).linkAccounts(t, links);
    const outcome = await replayMappings(trx, t, page.map((l) => l.id), BOTH);
    return {
      leads_processed: page.length,
      accounts_linked: linked,
      accounts_created: accounts.filter((a) => a.created).length,
      profile_scores_updated: outcome.leadsUpdated,
    };
  });

/**
 * POST /admin/backfill/event-accounts: every event of a lead with an account gets that account's id
 * in `metadata.accountId` (added when missing, corrected when it names another account). The leads'
 * locks are held (src/db/locks.ts), so the scoring worker, which also writes event metadata, skips them.
 */
export const eventAccountsBackfillStep = (): JobStep =>
  leadPagesStep(async (trx, t, page) => {
    const linked = page.flatMap((l) => (l.account_id ? [{ id: l.id, account_id: l.account_id }] : []));
    await lockLeads(trx, t.unitId, linked.map((l) => l.id));
    const { scanned, updated } = await stampEventAccounts(trx, t, linked);
    return { events_scanned: scanned, events_updated: updated, leads_without_account: page.length - linked.length };
  });
