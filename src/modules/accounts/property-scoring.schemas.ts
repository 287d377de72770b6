import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { FieldMappingsTable, PropertyKind, PropertyRulesetsTable, PropertyRulesTable } from '../../db/types.js';
import { OPERATORS } from '../segments/segments.schemas.js';

/** Numbers as the segment compiler reads them; gt/gte/lt/lte of a property rule compare numbers only. */
const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?\s*$/;
const ORDERED = new Set(['gt', 'gte', 'lt', 'lte']);

/** A metadata key or dotted path: 1–200 chars, no empty segment. */
const propertyPath = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((v) => v.split('.').every((part) => part.length > 0), { message: 'a dotted path may not have an empty segment' });
/** A mapping writes one top-level key. */
const propertyKey = z.string().trim().min(1).max(200);
const weight = z.number().int().min(-1_000_000).max(1_000_000);
const uiOrder = z.number().int().min(-1_000_000).max(1_000_000);
const timestamps = { created_at: z.string(), updated_at: z.string() };

export const updateBehaviorSchema = z
  .enum(['always_latest', 'set_once', 'append'])
  .describe('always_latest overwrites; set_once writes only an unset property; append also keeps the last 10 distinct values in <property>_list');

export const idParams = z.object({ id: z.uuid() });
export const ruleParams = z.object({ id: z.uuid(), ruleId: z.uuid() });

/** The property field's name in bodies and answers: `profile_property` or `account_property`. */
export type PropertyField = 'profile_property' | 'account_property';
export const propertyField = (kind: PropertyKind): PropertyField => (kind === 'profile' ? 'profile_property' : 'account_property');
const title = (kind: PropertyKind) => (kind === 'profile' ? 'Profile' : 'Account');

/** Why a rule's condition cannot take its value (ordered operators need a number, `in` a value), or null. */
export function conditionError(condition: string, value: string): string | null {
  if (ORDERED.has(condition) && !NUMERIC.test(value)) return `${condition} compares numbers: comparison_value must be numeric`;
  if (condition === 'in' && value.split(',').every((v) => v.trim() === '')) return 'in takes comma-separated values';
  return null;
}

function checkCondition(rule: object, ctx: z.RefinementCtx) {
  const { condition, comparison_value: value } = rule as { condition?: string; comparison_value?: string };
  if (condition === undefined || value === undefined) return;
  const message = conditionError(condition, value);
  if (message) ctx.addIssue({ code: 'custom', path: ['comparison_value'], message });
}

export function propertySchemas<F extends PropertyField>(kind: PropertyKind, field: F) {
  const prop = <T>(value: T) => ({ [field]: value }) as Record<F, T>;
  const mappingBody = z.object({ source_field: propertyKey, ...prop(propertyKey), update_behavior: updateBehaviorSchema.default('always_latest') });
  const mapping = z
    .object({ id: z.string(), source_field: z.string(), ...prop(z.string()), update_behavior: updateBehaviorSchema, ...timestamps })
    .meta({ id: `${title(kind)}FieldMapping` });
  const rulesetBody = z.object({ name: z.string().trim().min(1).max(200), enabled: z.boolean().default(true), is_primary: z.boolean().default(false) });
  const ruleset = z
    .object({ id: z.string(), org_id: z.string(), name: z.string(), enabled: z.boolean(), is_primary: z.boolean(), ...timestamps })
    .meta({ id: `${title(kind)}RuleSet` });
  const ruleFields = {
    ...prop(propertyPath),
    condition: z.enum(OPERATORS),
    comparison_value: z.string().max(2000),
    weight,
    ui_order: uiOrder.optional(),
  };
  const createRuleBody = z.object(ruleFields).superRefine(checkCondition);
  const updateRuleBody = z.object(ruleFields).partial();
  const rule = z
    .object({
      id: z.string(),
      ruleset_id: z.string(),
      ...prop(z.string()),
      condition: z.string(),
      comparison_value: z.string(),
      weight: z.number().int(),
      ui_order: z.number().int(),
      ...timestamps,
    })
    .meta({ id: `${title(kind)}Rule` });
  return { field, mappingBody, mapping, rulesetBody, ruleset, createRuleBody, updateRuleBody, rule };
}


export type MappingRow = Selectable<FieldMappingsTable>;
export type RulesetRow = Selectable<PropertyRulesetsTable>;
export type RuleRow = Selectable<PropertyRulesTable>;

export function toMapping(kind: PropertyKind, row: MappingRow) {
  return {
    id: row.id,
    source_field: row.source_field,
    [propertyField(kind)]: row.property,
    update_behavior: row.update_behavior,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toRuleset(row: RulesetRow) {
  return {
    id: row.id,
    org_id: row.org_id,
    name: row.name,
    enabled: row.enabled,
    is_primary: row.is_primary,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toRule(kind: PropertyKind, row: RuleRow) {
  return {
    id: row.id,
    ruleset_id: row.ruleset_id,
    [propertyField(kind)]: row.property,
    condition: row.condition,
    comparison_value: row.comparison_value,
    weight: row.weight,
    ui_order: row.ui_order,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
