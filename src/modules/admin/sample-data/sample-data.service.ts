import type { Tenant } from '../../../auth/tenant.js';
import { conflict } from '../../../http/errors.js';
import type { IngestService } from '../../ingest/ingest.service.js';
import { prepareEvent } from '../../ingest/ingest.prepare.js';
import type { LeadsService } from '../../leads/leads.service.js';
import type { ScoringService } from '../../scoring/scoring.service.js';
import { SAMPLE_SOURCE } from './sample-data.constants.js';
import { SAMPLE_RULES, generateSampleData, type SampleEvent } from './sample-data.generator.js';

/** Events per ingest batch: the size of a POST /events/batch. */
const BATCH = 1000;

export interface SampleDataDeps {
  leads: Pick<LeadsService, 'createMany' | 'anyOfSource' | 'purgeOfSource'>;
  scoring: Pick<ScoringService, 'addMissingRules' | 'deleteRulesOfSource'>;
  ingest: Pick<IngestService, 'orderedWriter'>;
  now?: () => Date;
}

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

  return {
    async seed(t: Tenant): Promise<{ message: string; output: string }> {
      if (await deps.leads.anyOfSource(t, SAMPLE_SOURCE)) {
        throw conflict('sample data is already loaded in this OU; POST /admin/wipe-seed removes it');
      }
      const data = generateSampleData(now());
      await deps.leads.createMany(
        t,
        data.leads.map((l) => ({ id: l.id, metadata: l.metadata, account_id: l.accountId })),
      );
      const rules = await deps.scoring.addMissingRules(t, SAMPLE_RULES, SAMPLE_SOURCE);
      const events = await ingestEvents(t, data.events);
      const output = [
        `accounts: ${data.accounts.length}`,
        `leads: ${data.leads.length}`,
        `events: ${events} (90 days, web sessions with UTM campaigns and referrers, email, webinars, conversions)`,
        `scoring rules added: ${rules}`,
        'scoring: the worker scores the events in the background (about a few seconds)',
      ].join('\n');
      return { message: 'sample data seeded into the active OU', output };
    },

    async wipe(t: Tenant) {
      const { leads_deleted, events_deleted } = await deps.leads.purgeOfSource(t, SAMPLE_SOURCE);
      const rules_deleted = await deps.scoring.deleteRulesOfSource(t, SAMPLE_SOURCE);
      return { leads_deleted, events_deleted, rules_deleted };
    },
  };
}

export type SampleDataService = ReturnType<typeof createSampleDataService>;
