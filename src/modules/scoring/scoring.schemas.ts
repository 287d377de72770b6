import { z } from 'zod';
import type { Selectable } from 'kysely';
import type {
  DecayRulesTable,
  InorganicFiltersTable,
  LevelsTable,
  RulesetsTable,
  ScoringRulesTable,
  SurgePoliciesTable,
} from '../../db/types.js';
import { SURGE_PRESETS, type SurgeBand } from './surge.js';

const name = z.string().trim().min(1).max(200);
const eventType = z.string().trim().min(1).max(128);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * "YYYY-MM-DD or RFC3339" (semantics §0); a bare date is 00:00:00Z that day. `abort`: a refused
 * string must stop the object's own refinements, which would otherwise get it untransformed.
 */
export const dateTimeInput = z
  .string()
  .refine((v) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(v) && !Number.isNaN(Date.parse(v)), {
    message: 'expected YYYY-MM-DD or an RFC3339 timestamp',
    abort: true,
  })
  .transform((v) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v));

export const idParams = z.object({ id: z.string().uuid() });

// Rulesets
export const rulesetSchema = z
  .object({ ruleset_id: z.string(), name: z.string(), score_column: z.string(), is_primary: z.boolean(), created_at: z.string() })
  .meta({ id: 'RuleSet' });
export const createRulesetBody = z.object({
  name,
  score_column: z.string().trim().min(1).max(64).default('total_score'),
  is_primary: z.boolean().default(false),
});
export function toRuleset(row: Selectable<RulesetsTable>) {
  return {
    ruleset_id: row.id,
    name: row.name,
    score_column: row.score_column,
    is_primary: row.is_primary,
    created_at: row.created_at.toISOString(),
  };
}

// Rules
export const ruleSchema = z
  .object({
    rule_id: z.string(),
    ruleset_id: z.string(),
    org_id: z.string(),
    unit_id: z.string(),
    event_type: z.string(),
    weight: z.number().int(),
    icon: z.string().nullable(),
    active: z.boolean(),
    start_at: z.string().nullable(),
    end_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'ScoringRule' });
const weight = z.number().int().min(-1_000_000).max(1_000_000);
const ruleFields = {
  ruleset_id: z.string().uuid().optional(),
  event_type: eventType,
  weight,
  icon: z.string().max(200).nullable().optional(),
  active: z.boolean().default(true),
  start_at: dateTimeInput.nullable().optional(),
  end_at: dateTimeInput.nullable().optional(),
};
const timeBoxOk = (b: { start_at?: Date | null; end_at?: Date | null }) =>
  !b.start_at || !b.end_at || b.start_at.getTime() < b.end_at.getTime();
const timeBoxIssue = { message: 'end_at must be after start_at', path: ['end_at'] };
export const createRuleBody = z.object(ruleFields).refine(timeBoxOk, timeBoxIssue);
export const updateRuleBody = z
  .object({ ...ruleFields, event_type: eventType.optional(), weight: weight.optional(), active: z.boolean().optional() })
  .refine(timeBoxOk, timeBoxIssue);
export type CreateRuleInput = z.infer<typeof createRuleBody>;
export type UpdateRuleInput = z.infer<typeof updateRuleBody>;
export function toRule(row: Selectable<ScoringRulesTable>) {
  return {
    rule_id: row.id,
    ruleset_id: row.ruleset_id,
    org_id: row.org_id,
    unit_id: row.unit_id,
    event_type: row.event_type,
    weight: row.weight,
    icon: row.icon,
    active: row.active,
    start_at: iso(row.start_at),
    end_at: iso(row.end_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

// Levels (engagement, profile, account share one shape)
export const levelKind = z.enum(['engagement', 'profile', 'account']);
export const levelSchema = z
  .object({
    level_id: z.string(),
    stage_id: z.string().describe('Same as level_id (the reference names engagement levels "stages")'),
    kind: levelKind,
    name: z.string(),
    min_score: z.number().int(),
    max_score: z.number().int(),
    org_id: z.string(),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'Level' });
const score = z.number().int().min(-1_000_000_000).max(1_000_000_000);
export const levelBody = z
  .object({ name, min_score: score, max_score: score })
  .refine((b) => b.min_score <= b.max_score, { message: 'min_score must not exceed max_score', path: ['max_score'] });
export type LevelInput = z.infer<typeof levelBody>;
export function toLevel(row: Selectable<LevelsTable>) {
  return {
    level_id: row.id,
    stage_id: row.id,
    kind: row.kind,
    name: row.name,
    min_score: row.min_score,
    max_score: row.max_score,
    org_id: row.org_id,
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

// Decays
const decayUnit = z.enum(['hours', 'days', 'weeks']);
export const decaySchema = z
  .object({
    decay_id: z.string(),
    inactive_for: z.number().int(),
    unit: decayUnit,
    decrease: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'DecayRule' });
const inactiveFor = z.number().int().min(1).max(100_000);
const decrease = z.number().int().min(0).max(1_000_000);
export const createDecayBody = z.object({ inactive_for: inactiveFor, unit: decayUnit, decrease });
export const updateDecayBody = z.object({
  inactive_for: inactiveFor.optional(),
  unit: decayUnit.optional(),
  decrease: decrease.optional(),
});
export function toDecay(row: Selectable<DecayRulesTable>) {
  return {
    decay_id: row.id,
    inactive_for: row.inactive_for,
    unit: row.unit,
    decrease: row.decrease,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

// Inorganic filters
export const filterSchema = z
  .object({
    filter_id: z.string(),
    event_type: z.string(),
    count_threshold: z.number().int(),
    time_window_ms: z.number().int(),
    group_events: z.boolean(),
    org_id: z.string(),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'InorganicFilter' });
const countThreshold = z.number().int().min(1).max(1_000_000);
const windowMs = z.number().int().min(1).max(365 * 24 * 3600 * 1000);
export const createFilterBody = z.object({
  event_type: eventType,
  count_threshold: countThreshold,
  time_window_ms: windowMs,
  group_events: z.boolean().default(false),
});
export const updateFilterBody = z.object({
  event_type: eventType.optional(),
  count_threshold: countThreshold.optional(),
  time_window_ms: windowMs.optional(),
  group_events: z.boolean().optional(),
});
export function toFilter(row: Selectable<InorganicFiltersTable>) {
  return {
    filter_id: row.id,
    event_type: row.event_type,
    count_threshold: row.count_threshold,
    time_window_ms: row.time_window_ms,
    group_events: row.group_events,
    org_id: row.org_id,
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

// Surge policy
const band = z.object({ min_events: z.number().int().min(1), multiplier: z.number().min(1) });
export const surgePolicySchema = z
  .object({
    org_id: z.string(),
    unit_id: z.string(),
    mode: z.enum(['off', 'standard', 'gentle', 'custom']),
    bands: z.array(band),
    idle_reset_seconds: z.number().int(),
    multiplier_cap: z.number(),
  })
  .meta({ id: 'SurgePolicy' });
export const surgePolicyBody = z
  .object({
    mode: z.enum(['off', 'standard', 'gentle', 'custom']),
    bands: z.array(band).max(20).optional(),
    idle_reset_seconds: z.number().int().min(1).max(30 * 24 * 3600).default(1800),
    multiplier_cap: z.number().min(1).max(3).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.mode !== 'custom') return;
    if (!b.bands || b.bands.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['bands'], message: 'custom mode needs at least one band' });
      return;
    }
    const cap = b.multiplier_cap ?? 3;
    b.bands.forEach((x, i) => {
      if (x.multiplier > cap) ctx.addIssue({ code: 'custom', path: ['bands', i, 'multiplier'], message: 'band multiplier above multiplier_cap' });
      const prev = b.bands?.[i - 1];
      if (prev && prev.min_events >= x.min_events) {
        ctx.addIssue({ code: 'custom', path: ['bands', i, 'min_events'], message: 'bands must ascend by min_events' });
      }
    });
  });
export type SurgePolicyInput = z.infer<typeof surgePolicyBody>;

/** The stored policy for a request: presets keep their bands (capped by the given or preset cap). */
export function effectivePolicy(input: SurgePolicyInput): { bands: SurgeBand[]; multiplier_cap: number } {
  if (input.mode === 'custom') return { bands: input.bands ?? [], multiplier_cap: input.multiplier_cap ?? 3 };
  const preset = SURGE_PRESETS[input.mode];
  return { bands: preset.bands, multiplier_cap: input.multiplier_cap ?? preset.cap };
}
export function toSurgePolicy(row: Omit<Selectable<SurgePoliciesTable>, 'updated_at'>) {
  return {
    org_id: row.org_id,
    unit_id: row.unit_id,
    mode: row.mode,
    bands: row.bands as unknown as SurgeBand[],
    idle_reset_seconds: row.idle_reset_seconds,
    multiplier_cap: row.multiplier_cap,
  };
}

// Scoring settings
export const scoringSettingsSchema = z
  .object({ allow_negative_scores: z.boolean(), abm_enabled: z.boolean(), session_timeout_minutes: z.number().int() })
  .meta({ id: 'ScoringSettings' });
export const scoringSettingsBody = z.object({
  allow_negative_scores: z.boolean().optional(),
  abm_enabled: z.boolean().optional(),
  session_timeout_minutes: z.number().int().min(1).max(1440).optional(),
});
export type ScoringSettingsInput = z.infer<typeof scoringSettingsBody>;
