import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { TriggersTable, WindowUnit } from '../../db/types.js';
import { pageQuery } from '../../http/pagination.js';
import type { PatternCondition } from './trigger-rules.js';

const eventType = z.string().trim().min(1).max(128);
const text200 = z.string().trim().max(200);
/** http(s) only (semantics §7); whether its address is private is checked when it is used. */
const webhookUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .refine((v) => /^https?:\/\//i.test(v), { message: 'webhook_url must be an http or https URL' });
const int = z.number().int();

/** The actions of a trigger: each one set writes a delivery per firing (docs/deliveries.md). */
const actionFields = {
  webhook_url: webhookUrl.nullable().optional(),
  emails: z.array(z.string().trim().email().max(254)).max(50).optional(),
  email_subject: text200.nullable().optional(),
  email_preheader: text200.nullable().optional(),
  email_message: z.string().max(10_000).nullable().optional(),
  slack_target_kind: z.enum(['channel', 'user', 'default']).nullable().optional(),
  slack_target_id: z.string().trim().min(1).max(200).nullable().optional(),
};
const commonFields = {
  name: text200.nullable().optional(),
  description: z.string().max(2000).nullable().optional(),
  active: z.boolean().optional(),
  ...actionFields,
};

export const triggerIdParams = z.object({ id: z.string().uuid() });

export const milestoneBody = z.object({ ...commonFields, event_type: eventType, score_threshold: int.min(-1_000_000).max(1_000_000) });
export const milestoneUpdateBody = milestoneBody.partial();

const sequenceFields = {
  ...commonFields,
  event_types: z.array(eventType).min(2).max(20),
  window_seconds: int.min(1).max(31_536_000),
  window_unit: z.enum(['seconds', 'minutes', 'hours']),
  ordered: z.boolean().optional(),
  fire_mode: z.enum(['once', 'every']).optional(),
};
export const sequenceBody = z.object({ ...sequenceFields, webhook_url: webhookUrl });
export const sequenceUpdateBody = z.object(sequenceFields).partial();

const condition = z.object({ event_type: eventType, min_count: int.min(1).max(10_000) });
export const patternBody = z.object({ ...commonFields, window_seconds: int.min(1).max(31_536_000), conditions: z.array(condition).min(1).max(20) });
export const patternUpdateBody = patternBody.partial();

const surgeFields = {
  event_type: eventType.nullable().optional(),
  window_seconds: int.min(1).max(31_536_000),
  window_unit: z.enum(['seconds', 'minutes', 'hours', 'days']).optional(),
  threshold_count: int.min(1).max(1_000_000),
  webhook_url: webhookUrl.nullable().optional(),
  emails: z.array(z.string().trim().email().max(254)).max(50).optional(),
};
export const surgeBody = z.object(surgeFields);
export const surgeUpdateBody = surgeBody.partial();

/** Every field a trigger body of any kind may carry (each family's schema allows its own). */
export interface TriggerInput {
  name?: string | null;
  description?: string | null;
  active?: boolean;
  webhook_url?: string | null;
  emails?: string[];
  email_subject?: string | null;
  email_preheader?: string | null;
  email_message?: string | null;
  slack_target_kind?: 'channel' | 'user' | 'default' | null;
  slack_target_id?: string | null;
  event_type?: string | null;
  score_threshold?: number;
  event_types?: string[];
  window_seconds?: number;
  window_unit?: WindowUnit;
  ordered?: boolean;
  fire_mode?: 'once' | 'every';
  conditions?: PatternCondition[];
  threshold_count?: number;
}

const dateTime = z.string().datetime({ offset: true });
export const firingsQuery = pageQuery.extend({
  trigger_id: z.string().uuid().optional(),
  lead_id: z.string().min(1).max(128).optional(),
  start: dateTime.optional(),
  end: dateTime.optional(),
});
export type FiringsQuery = z.infer<typeof firingsQuery>;
export const firingsExportQuery = firingsQuery.omit({ page: true, limit: true });

export const surgeEventsQuery = pageQuery.extend({ start: dateTime.optional(), end: dateTime.optional(), channel: z.string().max(64).optional() });

export const simulateBody = z.object({ lead_id: z.string().min(1).max(128).optional(), days: int.min(1).max(365).default(30) });

const actionSchema = {
  webhook_url: z.string().nullable(),
  emails: z.array(z.string()),
  email_subject: z.string().nullable(),
  email_preheader: z.string().nullable(),
  email_message: z.string().nullable(),
  slack_target_kind: z.string().nullable(),
  slack_target_id: z.string().nullable(),
};
const stamps = { created_at: z.string(), updated_at: z.string(), created_by: z.string().nullable(), updated_by: z.string().nullable() };
const base = { trigger_id: z.string(), org_id: z.string(), unit_id: z.string(), name: z.string().nullable(), description: z.string().nullable(), active: z.boolean() };

export const milestoneSchema = z.object({ ...base, event_type: z.string(), score_threshold: int, ...actionSchema, ...stamps }).meta({ id: 'MilestoneTrigger' });
export const sequenceSchema = z
  .object({ ...base, event_steps: z.array(z.string()), event_types: z.array(z.string()), window_seconds: int, window_unit: z.string(), ordered: z.boolean(), fire_mode: z.enum(['once', 'every']), ...actionSchema, ...stamps })
  .meta({ id: 'SequenceTrigger' });
export const patternSchema = z
  .object({ ...base, window_seconds: int, conditions: z.array(condition), ...actionSchema, ...stamps })
  .meta({ id: 'PatternTrigger' });
export const surgeSchema = z
  .object({ trigger_id: z.string(), org_id: z.string(), unit_id: z.string(), event_type: z.string().nullable(), window_seconds: int, window_unit: z.string(), threshold_count: int, webhook_url: z.string().nullable(), emails: z.array(z.string()), ...stamps })
  .meta({ id: 'SurgeTrigger' });

export const firingSchema = z
  .object({
    id: z.string(),
    trigger_id: z.string(),
    trigger_name: z.string().nullable(),
    lead_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    score: int.nullable(),
    delivered: z.boolean().describe('false when the event type is in `decide` scope: recorded, no action delivered'),
    occurred_at: z.string(),
    fired_at: z.string(),
  })
  .meta({ id: 'TriggerFiring' });

export const simulateSchema = z
  .object({
    would_fire: z.boolean(),
    matched_leads: z.array(z.object({ lead_id: z.string(), event_id: z.string(), occurred_at: z.string(), score: int.nullable() })),
    total_matches: int,
    message: z.string(),
  })
  .meta({ id: 'TriggerSimulation' });

type Row = Selectable<TriggersTable>;
const iso = (d: Date) => d.toISOString();

function common(row: Row) {
  return { trigger_id: row.id, org_id: row.org_id, unit_id: row.unit_id, name: row.name, description: row.description, active: row.active };
}
function actions(row: Row) {
  return {
    webhook_url: row.webhook_url,
    emails: row.emails,
    email_subject: row.email_subject,
    email_preheader: row.email_preheader,
    email_message: row.email_message,
    slack_target_kind: row.slack_target_kind,
    slack_target_id: row.slack_target_id,
  };
}
const stampsOf = (row: Row) => ({ created_at: iso(row.created_at), updated_at: iso(row.updated_at), created_by: row.created_by, updated_by: row.updated_by });

export const toMilestone = (row: Row) => ({ ...common(row), event_type: row.event_type ?? '', score_threshold: row.score_threshold ?? 0, ...actions(row), ...stampsOf(row) });
export const toSequence = (row: Row) => ({
  ...common(row),
  event_steps: row.event_types ?? [],
  event_types: row.event_types ?? [],
  window_seconds: row.window_seconds ?? 0,
  window_unit: row.window_unit ?? 'seconds',
  ordered: row.ordered ?? true,
  fire_mode: row.fire_mode ?? 'once',
  ...actions(row),
  ...stampsOf(row),
});
export const toPattern = (row: Row) => ({ ...common(row), window_seconds: row.window_seconds ?? 0, conditions: (row.conditions as PatternCondition[] | null) ?? [], ...actions(row), ...stampsOf(row) });
export const toSurge = (row: Row) => ({
  trigger_id: row.id,
  org_id: row.org_id,
  unit_id: row.unit_id,
  event_type: row.event_type,
  window_seconds: row.window_seconds ?? 0,
  window_unit: row.window_unit ?? 'seconds',
  threshold_count: row.threshold_count ?? 0,
  webhook_url: row.webhook_url,
  emails: row.emails,
  ...stampsOf(row),
});
