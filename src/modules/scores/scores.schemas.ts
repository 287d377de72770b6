import { z } from 'zod';
import { endInput, startInput } from '../../http/date-window.js';
import { limitParam, pageQuery } from '../../http/pagination.js';

const iso = z.string();
const level = z.string().nullable();

export const eventIdParams = z.object({ eventID: z.string().uuid() });

export const leadRange = z.enum(['all', 'today', 'yesterday', 'last_24h', 'last_7d', 'last_30d', 'last_90d']);
export const listLeadsQuery = pageQuery.extend({
  range: leadRange.optional(),
  min_score: z.coerce.number().int().optional(),
  max_score: z.coerce.number().int().optional(),
  event_type: z.string().min(1).max(128).optional(),
  last_active: z.enum(['any', '7d', '30d']).optional(),
});
export const leadScoreItem = z
  .object({
    lead_id: z.string(),
    score: z.number().int(),
    level,
    last_event_at: iso.nullable(),
    last_event_type: z.string().nullable(),
    account_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: iso,
  })
  .meta({ id: 'LeadScoreItem' });
export const leadListSchema = z.object({ leads: z.array(leadScoreItem), total: z.number().int(), page: z.number().int(), limit: z.number().int() });

export const leadScoreQuery = z.object({ ruleset_id: z.string().uuid().optional() });
export const leadScoreSchema = z
  .object({ lead_id: z.string(), score: z.number().int(), level, ruleset_id: z.string().nullable() })
  .meta({ id: 'LeadScore' });

export const batchScoresBody = z.object({
  lead_ids: z.array(z.string().min(1).max(128)).min(1).max(500),
  ruleset: z.string().min(1).max(200).default('primary').describe('primary (default) or a ruleset id or name'),
});
export const batchScoreItem = z.object({ lead_id: z.string(), score: z.number().int(), level, last_event_at: iso.nullable() });

export const historyQuery = z.object({
  lead_id: z.string().min(1).max(128),
  ruleset_id: z.string().uuid().optional(),
  start: startInput,
  end: endInput,
});
export const historyItem = z
  .object({ lead_id: z.string(), ruleset_id: z.string(), event_id: z.string().nullable(), score: z.number().int(), delta: z.number().int(), occurred_at: iso })
  .meta({ id: 'ScoreHistoryItem' });

const explainRule = z.object({ rule_id: z.string(), event_type: z.string(), weight: z.number().int() });
export const eventExplainSchema = z
  .object({
    event_id: z.string(),
    lead_id: z.string(),
    event_type: z.string(),
    occurred_at: iso,
    scored: z.boolean(),
    rulesets: z.array(
      z.object({
        ruleset_id: z.string(),
        name: z.string(),
        is_primary: z.boolean(),
        rules: z.array(explainRule),
        base: z.number().int(),
        multiplier: z.number(),
        delta: z.number().int(),
        score_before: z.number().int(),
        score_after: z.number().int(),
        inorganic: z.boolean(),
        surged: z.boolean(),
        session_events: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'EventScoreExplanation' });

export const leadExplainQuery = z.object({ hours: z.coerce.number().int().min(1).max(24 * 365).default(24) });
export const leadExplainSchema = z
  .object({
    lead_id: z.string(),
    ruleset_id: z.string().nullable(),
    score: z.number().int(),
    level,
    top_drivers: z.array(z.object({ event_type: z.string(), points: z.number().int(), events: z.number().int() })),
    snapshot: z.array(
      z.object({ rule_id: z.string(), event_type: z.string(), weight: z.number().int(), active: z.boolean(), start_at: iso.nullable(), end_at: iso.nullable() }),
    ),
    surge_boost: z.array(
      z.object({ event_id: z.string(), event_type: z.string(), occurred_at: iso, multiplier: z.number(), base: z.number().int(), delta: z.number().int(), boost: z.number().int() }),
    ),
    surge_total: z.number().int(),
    surge_event_count: z.number().int(),
    decay_applied: z.number().int().describe('Points removed by decay in the window (a positive number)'),
    window_points: z.number().int().describe('Sum of the deltas in the window'),
    range_hours: z.number().int(),
  })
  .meta({ id: 'LeadScoreExplanation' });

export const topLeadsQuery = z.object({ limit: limitParam(10) });
export const topLeadItem = z.object({ lead_id: z.string(), score: z.number().int(), level, last_event_at: iso.nullable() });
export const gainsQuery = z.object({
  hours: z.coerce.number().int().min(1).max(24 * 365).default(24),
  limit: limitParam(10),
});
export const gainItem = z.object({
  lead_id: z.string(),
  gain: z.number().int(),
  events: z.number().int(),
  score: z.number().int(),
  level,
  last_gain_at: iso,
});
