import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { TriggerKind } from '../../db/types.js';
import { csvField, neutralizeFormula } from '../events/events.service.js';
import type { LeadsService } from '../leads/leads.service.js';
import { toFiringTrigger } from './trigger-firing.js';
import { fireKey, relevantTypes, windowMs, type FiringTrigger, type HistoryEvent, type LastFiring } from './trigger-rules.js';
import { createTriggersRepository, type FiringFilter, type FiringItem, type ReplayRow } from './triggers.repository.js';
import type { TriggersService } from './triggers.service.js';

const DAY_MS = 86_400_000;
const EXPORT_PAGE_SIZE = 1000;
const REPLAY_PAGE_SIZE = 2000;
/** Matched leads listed by a simulation (total_matches counts them all). */
const MAX_LISTED_MATCHES = 100;
export const FIRING_COLUMNS = ['id', 'trigger_id', 'trigger_name', 'lead_id', 'event_id', 'event_type', 'score', 'delivered', 'occurred_at', 'fired_at'] as const;

export function toFiring({ event_at, fired_at, ...f }: FiringItem) {
  return { ...f, occurred_at: event_at.toISOString(), fired_at: fired_at.toISOString() };
}

const csvLine = (fields: readonly string[]) => `${fields.map((f) => csvField(neutralizeFormula(f))).join(',')}\r\n`;

interface Match {
  lead_id: string;
  event_id: string;
  occurred_at: string;
  score: number | null;
}

/** Replays one page of events into the per-lead state; answers the leads that matched for the first time. */
function createReplay(rule: FiringTrigger) {
  const repeats = rule.kind === 'pattern' || (rule.kind === 'sequence' && rule.fire_mode === 'every');
  const w = windowMs(rule);
  let lead: string | null = null;
  let history: HistoryEvent[] = [];
  let last: LastFiring | null = null;
  let matched = false;
  return function step(r: ReplayRow): Match | null {
    if (r.lead_id !== lead) [lead, history, last, matched] = [r.lead_id, [], null, false];
    if (matched && !repeats) return null;
    const current: HistoryEvent = { id: r.id, seq: r.seq, event_type: r.event_type, at: r.occurred_at.getTime() };
    history.push(current);
    if (history.length > 10_000) history = history.filter((e) => e.at >= current.at - w);
    if (fireKey(rule, current, r.score ?? 0, history, last) === null) return null;
    last = { seq: current.seq, at: current.at };
    if (matched) return null;
    matched = true;
    return { lead_id: r.lead_id, event_id: r.id, occurred_at: r.occurred_at.toISOString(), score: r.score };
  };
}

/** Emitted milestone/sequence events (list, CSV export) and simulations that never deliver. */
export function createFiringsService(deps: { db: Db; triggers: Pick<TriggersService, 'require'>; leads: Pick<LeadsService, 'requireLead'> }) {
  const repo = createTriggersRepository(deps.db);
  return {
    list: (t: Tenant, kind: TriggerKind, f: FiringFilter, page: number, limit: number) => repo.listFirings(t, kind, f, limit, (page - 1) * limit),

    async *exportCsv(t: Tenant, kind: TriggerKind, f: FiringFilter): AsyncGenerator<string> {
      yield csvLine(FIRING_COLUMNS);
      let after: { fired_at: Date; id: string } | null = null;
      for (;;) {
        const rows = await repo.exportFirings(t, kind, f, after, EXPORT_PAGE_SIZE);
        let chunk = '';
        for (const r of rows) {
          chunk += csvLine([r.id, r.trigger_id, r.trigger_name ?? '', r.lead_id, r.event_id, r.event_type, r.score === null ? '' : String(r.score), String(r.delivered), r.event_at.toISOString(), r.fired_at.toISOString()]);
        }
        if (chunk) yield chunk;
        const last = rows[rows.length - 1];
        if (!last || rows.length < EXPORT_PAGE_SIZE) return;
        after = { fired_at: last.fired_at, id: last.id };
      }
    },

    /**
     * Replays the last `days` of scored events through the trigger's own evaluation (the worker's
     * code), page by page in (lead, ingestion order): writes nothing, delivers nothing.
     */
    async simulate(t: Tenant, kind: 'milestone' | 'sequence', id: string, input: { lead_id?: string; days: number }) {
      const rule = toFiringTrigger(await deps.triggers.require(t, kind, id));
      if (input.lead_id !== undefined) await deps.leads.requireLead(t, input.lead_id);
      const step = createReplay(rule);
      const from = new Date(Date.now() - input.days * DAY_MS);
      const matches: Match[] = [];
      let total = 0;
      let after: { lead_id: string; seq: number } | null = null;
      for (;;) {
        const rows = await repo.replayPage(t, { types: relevantTypes(rule), from, leadId: input.lead_id, after, limit: REPLAY_PAGE_SIZE });
        for (const r of rows) {
          const match = step(r);
          if (!match) continue;
          total += 1;
          if (matches.length < MAX_LISTED_MATCHES) matches.push(match);
        }
        const last = rows[rows.length - 1];
        if (!last || rows.length < REPLAY_PAGE_SIZE) break;
        after = { lead_id: last.lead_id, seq: last.seq };
      }
      const scope = input.lead_id !== undefined ? `lead ${input.lead_id}` : `${total} lead(s)`;
      const message = total > 0 ? `would fire for ${scope} in the last ${input.days} days` : `would not fire for ${input.lead_id !== undefined ? scope : 'any lead'} in the last ${input.days} days`;
      return { would_fire: total > 0, matched_leads: matches, total_matches: total, message };
    },
  };
}

export type FiringsService = ReturnType<typeof createFiringsService>;
