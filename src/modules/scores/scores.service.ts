import type { DateWindow } from '../../http/date-window.js';
import type { Db } from '../../db/database.js';
import { notFound } from '../../http/errors.js';
import { roundHalfAwayFromZero } from '../scoring/surge.js';
import { createScoresRepository, type LeadListFilters } from './scores.repository.js';
import type { Tenant } from '../../auth/tenant.js';
import type { LeadsService } from '../leads/leads.service.js';

const DAY = 86_400_000;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Created-at window of a named range (UTC days). */
export function rangeWindow(range: string | undefined, now: Date): Pick<LeadListFilters, 'createdSince' | 'createdBefore'> {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  switch (range) {
    case 'today':
      return { createdSince: today };
    case 'yesterday':
      return { createdSince: new Date(today.getTime() - DAY), createdBefore: today };
    case 'last_24h':
      return { createdSince: new Date(now.getTime() - DAY) };
    case 'last_7d':
      return { createdSince: new Date(now.getTime() - 7 * DAY) };
    case 'last_30d':
      return { createdSince: new Date(now.getTime() - 30 * DAY) };
    case 'last_90d':
      return { createdSince: new Date(now.getTime() - 90 * DAY) };
    default:
      return {};
  }
}

export function createScoresService(deps: { db: Db; leads: Pick<LeadsService, 'requireLead'> }) {
  const repo = createScoresRepository(deps.db);
  const { requireLead } = deps.leads;
  async function rulesetOrThrow(t: Tenant, key: string) {
    const ruleset = await repo.findRuleset(t, key);
    if (!ruleset) throw notFound('ruleset');
    return ruleset;
  }

  return {
    repo,
    async listLeads(
      t: Tenant,
      q: { page: number; limit: number; range?: string; min_score?: number; max_score?: number; event_type?: string; last_active?: string },
    ) {
      const now = new Date();
      const primary = await repo.findRuleset(t, 'primary');
      const filters: LeadListFilters = {
        ...rangeWindow(q.range, now),
        ...(q.min_score !== undefined && { minScore: q.min_score }),
        ...(q.max_score !== undefined && { maxScore: q.max_score }),
        ...(q.event_type !== undefined && { eventType: q.event_type }),
        ...(q.last_active === '7d' && { activeSince: new Date(now.getTime() - 7 * DAY) }),
        ...(q.last_active === '30d' && { activeSince: new Date(now.getTime() - 30 * DAY) }),
      };
      const { rows, total } = await repo.listLeads(t, primary?.id ?? null, filters, q.page, q.limit);
      return {
        leads: rows.map((r) => ({
          lead_id: r.id,
          score: Number(r.score),
          level: r.level,
          last_event_at: iso(r.last_event_at),
          last_event_type: r.last_event_type,
          account_id: r.account_id,
          metadata: (r.metadata ?? {}) as Record<string, unknown>,
          created_at: r.created_at.toISOString(),
        })),
        total,
        page: q.page,
        limit: q.limit,
      };
    },

    async leadScore(t: Tenant, leadId: string, rulesetId?: string) {
      await requireLead(t, leadId);
      if (rulesetId) {
        await rulesetOrThrow(t, rulesetId);
        const [row] = await repo.scoresOf(t, [leadId], rulesetId);
        return { lead_id: leadId, score: Number(row?.score ?? 0), level: row?.level ?? null, ruleset_id: rulesetId };
      }
      const best = await repo.highestScore(t, leadId);
      const score = best?.total_score ?? 0;
      return { lead_id: leadId, score, level: await repo.levelFor(t, score), ruleset_id: best?.ruleset_id ?? null };
    },

    /** Scores of the visible leads among `leadIds`, in request order; no primary ruleset → all 0. */
    async batchScores(t: Tenant, leadIds: string[], ruleset: string) {
      const set = ruleset === 'primary' ? await repo.findRuleset(t, 'primary') : await rulesetOrThrow(t, ruleset);
      const rows = await repo.scoresOf(t, [...new Set(leadIds)], set?.id ?? null);
      const by = new Map(rows.map((r) => [r.id, r]));
      return [...new Set(leadIds)].flatMap((id) => {
        const r = by.get(id);
        if (!r) return [];
        return [{ lead_id: id, score: set ? Number(r.score) : 0, level: r.level, last_event_at: iso(r.last_event_at) }];
      });
    },

    async history(t: Tenant, q: { lead_id: string; ruleset_id?: string; window: DateWindow }) {
      await requireLead(t, q.lead_id);
      if (q.ruleset_id) await rulesetOrThrow(t, q.ruleset_id);
      const rows = await repo.history(t, q.lead_id, q.ruleset_id, q.window);
      return rows.map((r) => ({
        lead_id: r.lead_id,
        ruleset_id: r.ruleset_id,
        event_id: r.event_id,
        score: r.score,
        delta: r.delta,
        occurred_at: r.occurred_at.toISOString(),
      }));
    },

    async explainEvent(t: Tenant, eventId: string) {
      const event = await repo.findEvent(t, eventId);
      if (!event) throw notFound('event');
      const rows = await repo.eventScores(t, eventId);
      return {
        event_id: event.id,
        lead_id: event.lead_id,
        event_type: event.event_type,
        occurred_at: event.occurred_at.toISOString(),
        scored: event.scored_at !== null,
        rulesets: rows.map((r) => ({
          ruleset_id: r.ruleset_id,
          name: r.name,
          is_primary: r.is_primary,
          rules: r.rules as Array<{ rule_id: string; event_type: string; weight: number }>,
          base: r.base,
          multiplier: Number(r.multiplier),
          delta: r.delta,
          score_before: r.score_before,
          score_after: r.score_after,
          inorganic: r.inorganic,
          surged: r.surged,
          session_events: r.session_events,
        })),
      };
    },

    /** Primary-ruleset explanation of a lead over the last `hours`. */
    async explainLead(t: Tenant, leadId: string, hours: number) {
      await requireLead(t, leadId);
      const primary = await repo.findRuleset(t, 'primary');
      const empty = { top_drivers: [], snapshot: [], surge_boost: [], surge_total: 0, surge_event_count: 0, decay_applied: 0, window_points: 0 };
      if (!primary) return { lead_id: leadId, ruleset_id: null, score: 0, level: await repo.levelFor(t, 0), ...empty, range_hours: hours };
      const since = new Date(Date.now() - hours * 3_600_000);
      const [rows, rules, [current]] = await Promise.all([
        repo.leadScoreRows(t, leadId, primary.id, since),
        repo.rulesOf(t, primary.id),
        repo.scoresOf(t, [leadId], primary.id),
      ]);
      const drivers = new Map<string, { points: number; events: number }>();
      const surge = [];
      let decay = 0;
      let windowPoints = 0;
      for (const r of rows) {
        windowPoints += r.delta;
        if (r.decay_id) {
          decay -= r.delta;
          continue;
        }
        const d = drivers.get(r.event_type) ?? { points: 0, events: 0 };
        d.points += r.delta;
        d.events += 1;
        drivers.set(r.event_type, d);
        if (r.surged) {
          const boost = r.delta - roundHalfAwayFromZero(r.base);
          surge.push({ event_id: r.event_id, event_type: r.event_type, occurred_at: r.occurred_at.toISOString(), multiplier: Number(r.multiplier), base: r.base, delta: r.delta, boost });
        }
      }
      return {
        lead_id: leadId,
        ruleset_id: primary.id,
        score: Number(current?.score ?? 0),
        level: current?.level ?? null,
        top_drivers: [...drivers.entries()]
          .map(([event_type, d]) => ({ event_type, ...d }))
          .sort((a, b) => b.points - a.points || a.event_type.localeCompare(b.event_type))
          .slice(0, 10),
        snapshot: rules.map((r) => ({ rule_id: r.id, event_type: r.event_type, weight: r.weight, active: r.active, start_at: iso(r.start_at), end_at: iso(r.end_at) })),
        surge_boost: surge,
        surge_total: surge.reduce((sum, x) => sum + x.boost, 0),
        surge_event_count: surge.length,
        decay_applied: decay,
        window_points: windowPoints,
        range_hours: hours,
      };
    },

    async topLeads(t: Tenant, limit: number) {
      const primary = await repo.findRuleset(t, 'primary');
      if (!primary) return [];
      const rows = await repo.topLeads(t, primary.id, limit);
      return rows.map((r) => ({ lead_id: r.lead_id, score: r.total_score, level: r.level, last_event_at: iso(r.last_event_at) }));
    },
    async scoreGains(t: Tenant, hours: number, limit: number) {
      const primary = await repo.findRuleset(t, 'primary');
      if (!primary) return [];
      const rows = await repo.scoreGains(t, primary.id, new Date(Date.now() - hours * 3_600_000), limit);
      return rows.map((r) => ({
        lead_id: r.lead_id,
        gain: Number(r.gain),
        events: Number(r.events),
        score: r.total_score,
        level: r.level,
        last_gain_at: new Date(r.last_gain_at).toISOString(),
      }));
    },
  };
}

export type ScoresService = ReturnType<typeof createScoresService>;
