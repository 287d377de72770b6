import type { Tenant } from '../../../auth/tenant.js';
import { conflict } from '../../../http/errors.js';
import type { IngestService } from '../../ingest/ingest.service.js';
import { prepareEvent } from '../../ingest/ingest.prepare.js';
import type { LeadsService } from '../../leads/leads.service.js';
import type { AccountsService } from '../../accounts/accounts.service.js';
import type { DealsService } from '../../deals/deals.service.js';
import type { ScoringService } from '../../scoring/scoring.service.js';
import { SAMPLE_SOURCE } from './sample-data.constants.js';
import { SAMPLE_RULES, generateSampleData, type SampleDataset, type SampleEvent } from './sample-data.generator.js';

/** Events per ingest batch: the size of a POST /events/batch. */
const BATCH = 1000;

export interface SampleDataDeps {
  leads: Pick<LeadsService, 'createMany' | 'anyOfSource' | 'purgeOfSource'>;
  scoring: Pick<ScoringService, 'addMissingRules' | 'deleteRulesOfSource'>;
  ingest: Pick<IngestService, 'orderedWriter'>;
  accounts: Pick<AccountsService, 'createMany' | 'idsOfSource' | 'batchDelete'>;
  deals: Pick<DealsService, 'create' | 'update' | 'removeOfSource'>;
  /** Events of the OU not scored yet: deals record their contacts' scores, so they wait for them. */
  unscored: (t: Tenant) => Promise<number>;
  /** How long the seed waits for the worker to score the sample's events (default 60 s). */
  scoringWaitMs?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/** POST /admin/seed and /admin/wipe-seed (semantics §10, docs/sample-data.md). */
export function createSampleDataService(deps: SampleDataDeps) {
  const now = deps.now ?? (() => new Date());

  /** Through ingestion, in time order, on the import lane: scored by the worker like any import. */
  async function ingestEvents(t: Tenant, events: SampleEvent[]): Promise<number> {
    const write = deps.ingest.orderedWriter({ publish: false });
    const received = now();
    const pending: Array<Promise<Array<{ ok: boolean }>>> = [];
    for (let i = 0; i < events.length; i += BATCH) {
      const items = events.slice(i, i + BATCH).map((e) =>
        prepareEvent(
          {
            lead_id: e.leadId,
            event_type: e.eventType,
            timestamp: e.at.toISOString(),
            metadata: e.metadata,
            aliases: [{ alias_kind: 'email', raw_value: e.email }],
          },
          t,
          received,
        ),
      );
      pending.push(write(items));
    }
    const outcomes = (await Promise.all(pending)).flat();
    return outcomes.filter((o) => o.ok).length;
  }

  /** True once the worker scored the OU's backlog; false when it did not within the wait. */
  async function scored(t: Tenant): Promise<boolean> {
    const until = Date.now() + (deps.scoringWaitMs ?? 60_000);
    while ((await deps.unscored(t)) > 0) {
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return true;
  }

  /** Each deal enters its stages in order, through the deals service, so each records its contacts' scores. */
  async function moveDeals(t: Tenant, data: SampleDataset): Promise<number> {
    for (const d of data.deals) {
      const [first, ...rest] = d.stages as [string, ...string[]];
      const deal = await deps.deals.create(t, { name: d.name, stage: first, amount: d.amount, account_id: d.accountId }, SAMPLE_SOURCE);
      for (const stage of rest) {
        const closing = stage.startsWith('Closed') && d.closedDaysAgo !== null;
        await deps.deals.update(t, deal.deal_id, { stage, ...(closing && { closed_at: new Date(now().getTime() - (d.closedDaysAgo as number) * DAY_MS) }) });
      }
    }
    return data.deals.length;
  }

  return {
    async seed(t: Tenant): Promise<{ message: string; output: string }> {
      if (await deps.leads.anyOfSource(t, SAMPLE_SOURCE)) {
        throw conflict('sample data is already loaded in this OU; POST /admin/wipe-seed removes it');
      }
      const data = generateSampleData(now());
      await deps.accounts.createMany(t, data.accounts.map((a) => ({ id: a.id, domain: a.domain, name: a.name, metadata: { industry: a.industry, source: SAMPLE_SOURCE } })));
      await deps.leads.createMany(
        t,
        data.leads.map((l) => ({ id: l.id, metadata: l.metadata, account_id: l.accountId })),
      );
      const rules = await deps.scoring.addMissingRules(t, SAMPLE_RULES, SAMPLE_SOURCE);
      const events = await ingestEvents(t, data.events);
      const wasScored = await scored(t);
      const deals = await moveDeals(t, data);
      const output = [
        `accounts: ${data.accounts.length}`,
        `leads: ${data.leads.length}`,
        `events: ${events} (90 days, web sessions with UTM campaigns and referrers, email, webinars, conversions)`,
        `scoring rules added: ${rules}`,
        `deals: ${deals} (MQL → SQL → Proposal → Closed Won/Lost, contacts' scores recorded at each milestone)`,
        wasScored ? 'scoring: done' : 'scoring: still running in the background (deals recorded the scores reached so far)',
      ].join('\n');
      return { message: 'sample data seeded into the active OU', output };
    },

    async wipe(t: Tenant) {
      const deals_deleted = await deps.deals.removeOfSource(t, SAMPLE_SOURCE);
      const { leads_deleted, events_deleted } = await deps.leads.purgeOfSource(t, SAMPLE_SOURCE);
      const accounts = await deps.accounts.batchDelete(t, await deps.accounts.idsOfSource(t, SAMPLE_SOURCE));
      const rules_deleted = await deps.scoring.deleteRulesOfSource(t, SAMPLE_SOURCE);
      return { leads_deleted, events_deleted, rules_deleted, deals_deleted, accounts_deleted: accounts.deleted.length };
    },
  };
}

export type SampleDataService = ReturnType<typeof createSampleDataService>;
