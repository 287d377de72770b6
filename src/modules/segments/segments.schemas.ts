import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { SegmentRulesTable, SegmentsTable } from '../../db/types.js';

/** Semantics §6. `in` takes comma-separated values; `exists`/`not_exists` take no value. */
export const OPERATORS = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not_exists',
  'in',
] as const;
export type Operator = (typeof OPERATORS)[number];
export const VALUELESS: ReadonlySet<Operator> = new Set(['exists', 'not_exists']);

/** Dotted paths address nested metadata: 1–200 chars, no empty segment (`a..b`, `.a`). */
const fieldName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((v) => v.split('.').every((part) => part.length > 0), { message: 'a dotted path may not have an empty segment' });
const text200 = z.string().trim().max(200);
const int = z.number().int().min(-1_000_000).max(1_000_000);

export const segmentIdParams = z.object({ id: z.string().uuid() });
export const segmentRuleParams = z.object({ id: z.string().uuid(), ruleId: z.string().uuid() });

export const segmentBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  active: z.boolean().optional(),
});
export type SegmentInput = z.infer<typeof segmentBody>;

export const segmentSchema = z
  .object({
    segment_id: z.string(),
    org_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'Segment' });

export function toSegment(row: Selectable<SegmentsTable>) {
  return {
    segment_id: row.id,
    org_id: row.org_id,
    name: row.name,
    description: row.description,
    active: row.active,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

const ruleFields = {
  rule_name: text200.nullable().optional(),
  rule_type: z.enum(['lead_metadata', 'event_metadata']),
  field_name: fieldName,
  operator: z.enum(OPERATORS),
  value: z.string().max(2000).nullable().optional(),
  event_type: z.string().trim().min(1).max(128).nullable().optional(),
  logic_group: int.optional(),
  logic_op: z.enum(['AND', 'OR']).optional(),
  order_index: int.optional(),
  active: z.boolean().optional(),
};

export const createRuleBody = z.object(ruleFields);
export const updateRuleBody = z.object({
  ...ruleFields,
  rule_type: ruleFields.rule_type.optional(),
  field_name: fieldName.optional(),
  operator: ruleFields.operator.optional(),
});
export type CreateRuleInput = z.infer<typeof createRuleBody>;
export type UpdateRuleInput = z.infer<typeof updateRuleBody>;

export const segmentRuleSchema = z
  .object({
    rule_id: z.string(),
    segment_id: z.string(),
    org_id: z.string(),
    rule_name: z.string().nullable(),
    rule_type: z.enum(['lead_metadata', 'event_metadata']),
    field_name: z.string(),
    operator: z.string(),
    value: z.string().nullable(),
    event_type: z.string().nullable(),
    logic_group: z.number().int(),
    logic_op: z.enum(['AND', 'OR']),
    order_index: z.number().int(),
    active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    created_by: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'SegmentRule' });

export function toSegmentRule(row: Selectable<SegmentRulesTable>) {
  return {
    rule_id: row.id,
    segment_id: row.segment_id,
    org_id: row.org_id,
    rule_name: row.rule_name,
    rule_type: row.rule_type,
    field_name: row.field_name,
    operator: row.operator,
    value: row.value,
    event_type: row.event_type,
    logic_group: row.logic_group,
    logic_op: row.logic_op,
    order_index: row.order_index,
    active: row.active,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

export const countSchema = z.object({ count: z.number().int() });
