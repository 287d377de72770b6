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
  /** Planner statistics after the bulk write (src/db/statistics.ts: the embedded database has no autovacuum). */
  refreshStatistics: () => Promise<void>;
  /** How long the seed waits for the worker to score the sample's events (default 60 s). */
  scoringWaitMs?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
/** When the deals enter their stages, in days before now: stage k once the events before it are scored. */
const PHASE_DAYS = [60, 35, 15, 0] as const;
/** A backlog that has not shrunk for this long has no worker scoring it. */
const STALL_MS = 10_000;

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

  /**
   * True once the OU's backlog is scored; false when that takes longer than the wait, or when it
   * stops shrinking for STALL_MS (no scoring worker runs: SCORING_WORKER=false everywhere).
   */
  async function scored(t: Tenant): Promise<boolean> {
    const until = Date.now() + (deps.scoringWaitMs ?? 60_000);
    let left = await deps.unscored(t);
    let progressAt = Date.now();
    while (left > 0) {
      if (Date.now() > until || Date.now() - progressAt > STALL_MS) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = await deps.unscored(t);
      if (now < left) progressAt = Date.now();
      left = now;
    }
    return true;
  }

  /**
   * Stage `phase` of every deal that has one, through the deals service, so each entry records its
   * contacts' scores as they are at that point of the sample's history (semantics §8).
   */
  async function moveDeals(t: Tenant, data: SampleDataset, phase: number, ids: string[]): Promise<void> {
    for (const [i, d] of data.deals.entries()) {
      const stage = d.stages[phase];
      if (stage === undefined) continue;
      if (phase === 0) {
        ids[i] = (await deps.deals.create(t, { name: d.name, stage, amount: d.amount, account_id: d.accountId }, SAMPLE_SOURCE)).deal_id;
        continue;
      }
      const daysAgo = phase === PHASE_DAYS.length - 1 ? (d.closedDaysAgo ?? 0) : (PHASE_DAYS[phase] as number);
      const closed_at = stage.startsWith('Closed') ? new Date(now().getTime() - daysAgo * DAY_MS) : undefined;
      await deps.deals.update(t, ids[i] as string, { stage, ...(closed_at && { closed_at }) });
    }
  }

  /**
   * The events in time order, in one slice per phase: each slice is ingested and scored, then the
   * deals enter their next stage, so later milestones record the higher scores of a longer history.
   */
  async function replay(t: Tenant, data: SampleDataset): Promise<{ events: number; scoredInTime: boolean }> {
    const ids: string[] = [];
    let events = 0;
    let scoredInTime = true;
    let from = 0;
    for (const [phase, daysAgo] of PHASE_DAYS.entries()) {
      const cut = now().getTime() - daysAgo * DAY_MS;
      const slice = data.events.filter((e) => e.at.getTime() >= from && (daysAgo === 0 || e.at.getTime() < cut));
      from = cut;
      events += await ingestEvents(t, slice);
      scoredInTime = (await scored(t)) && scoredInTime;
      await moveDeals(t, data, phase, ids);
    }
    return { events, scoredInTime };
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
      const { events, scoredInTime } = await replay(t, data);
      await deps.refreshStatistics();
      const output = [
        `accounts: ${data.accounts.length}`,
        `leads: ${data.leads.length}`,
        `events: ${events} (90 days, web sessions with UTM campaigns and referrers, email, webinars, conversions)`,
        `scoring rules added: ${rules}`,
        `deals: ${data.deals.length} (MQL 60 days ago → SQL 35 → Proposal 15 → Closed Won/Lost lately; contacts' scores recorded at each milestone)`,
        scoredInTime ? 'scoring: done' : 'scoring: still running in the background (deals recorded the scores reached so far)',
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
