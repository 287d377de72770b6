import type { Selectable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { SegmentRulesTable } from '../../db/types.js';
import { AppError, conflict, notFound } from '../../http/errors.js';
import { createLeadMatchesService } from '../scores/lead-matches.js';
import { compileSegment } from './segment-compiler.js';
import { createSegmentsRepository } from './segments.repository.js';
import { VALUELESS, type CreateRuleInput, type Operator, type SegmentInput, type UpdateRuleInput } from './segments.schemas.js';

function duplicateName(error: unknown): never {
  if (isUniqueViolation(error, 'segments_unit_lower_name')) throw conflict('a segment with this name already exists');
  throw error;
}

type RuleShape = Pick<Selectable<SegmentRulesTable>, 'rule_type' | 'operator' | 'value' | 'event_type'>;

/** What zod cannot check field by field: a value where the operator needs one, an event type only on event rules. */
function checkRule(rule: RuleShape): void {
  const details = [];
  const needsValue = !VALUELESS.has(rule.operator as Operator);
  if (needsValue && (rule.value === null || rule.value === undefined)) {
    details.push({ field: 'value', message: `operator ${rule.operator} needs a value` });
  }
  if (rule.operator === 'in' && rule.value !== null && rule.value.split(',').every((v) => v.trim() === '')) {
    details.push({ field: 'value', message: 'operator in needs at least one comma-separated value' });
  }
  if (rule.rule_type === 'lead_metadata' && rule.event_type) {
    details.push({ field: 'event_type', message: 'event_type applies to event_metadata rules only' });
  }
  if (details.length > 0) throw new AppError('validation_failed', `invalid input: ${details.map((d) => d.field).join(', ')}`, details);
}

export function createSegmentsService(deps: { db: Db }) {
  const repo = createSegmentsRepository(deps.db);
  const leads = createLeadMatchesService(deps.db);

  async function requireSegment(t: Tenant, id: string) {
    const segment = await repo.find(t, id);
    if (!segment) throw notFound('segment');
    return segment;
  }

  /** The segment as one SQL predicate over the OU's leads (semantics §6); inactive rules are skipped. */
  async function predicate(t: Tenant, id: string) {
    await requireSegment(t, id);
    const rules = (await repo.listRules(t, id)).filter((r) => r.active);
    return (refs: Parameters<typeof compileSegment>[1]) => compileSegment(rules, refs);
  }

  return {
    list: (t: Tenant) => repo.list(t),
    get: requireSegment,
    create(t: Tenant, memberId: string | null, input: SegmentInput) {
      return repo
        .create({ org_id: t.orgId, unit_id: t.unitId, name: input.name, description: input.description ?? null, active: input.active ?? true, created_by: memberId, updated_by: memberId })
        .catch(duplicateName);
    },
    async update(t: Tenant, memberId: string | null, id: string, input: SegmentInput) {
      const patch = { name: input.name, updated_by: memberId, ...(input.description !== undefined && { description: input.description }), ...(input.active !== undefined && { active: input.active }) };
      const row = await repo.update(t, id, patch).catch(duplicateName);
      if (!row) throw notFound('segment');
      return row;
    },
    async remove(t: Tenant, id: string) {
      if (!(await repo.remove(t, id))) throw notFound('segment');
    },
    async count(t: Tenant, id: string) {
      return leads.count(t, await predicate(t, id));
    },
    async leads(t: Tenant, id: string, page: number, limit: number) {
      return leads.page(t, await predicate(t, id), page, limit);
    },

    async listRules(t: Tenant, id: string) {
      await requireSegment(t, id);
      return repo.listRules(t, id);
    },
    async createRule(t: Tenant, memberId: string | null, id: string, input: CreateRuleInput) {
      await requireSegment(t, id);
      const row = {
        org_id: t.orgId,
        unit_id: t.unitId,
        segment_id: id,
        rule_name: input.rule_name ?? null,
        rule_type: input.rule_type,
        field_name: input.field_name,
        operator: input.operator,
        value: input.value ?? null,
        event_type: input.event_type ?? null,
        logic_group: input.logic_group ?? 0,
        logic_op: input.logic_op ?? 'AND',
        order_index: input.order_index ?? 0,
        active: input.active ?? true,
        created_by: memberId,
        updated_by: memberId,
      };
      checkRule(row);
      return repo.createRule(row);
    },
    async updateRule(t: Tenant, memberId: string | null, id: string, ruleId: string, input: UpdateRuleInput) {
      const current = await repo.findRule(t, id, ruleId);
      if (!current) throw notFound('segment rule');
      const patch = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<Selectable<SegmentRulesTable>>;
      checkRule({ ...current, ...patch });
      const row = await repo.updateRule(t, id, ruleId, { ...patch, updated_by: memberId });
      if (!row) throw notFound('segment rule');
      return row;
    },
    async removeRule(t: Tenant, id: string, ruleId: string) {
      if (!(await repo.removeRule(t, id, ruleId))) throw notFound('segment rule');
    },
  };
}

export type SegmentsService = ReturnType<typeof createSegmentsService>;
