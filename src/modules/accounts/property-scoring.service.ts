import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { PropertyKind, UpdateBehavior } from '../../db/types.js';
import { AppError, conflict, notFound } from '../../http/errors.js';
import { createPropertyScoringRepository } from './property-scoring.repository.js';
import { conditionError, type RuleRow, type RulesetRow } from './property-scoring.schemas.js';

export interface MappingInput {
  source_field: string;
  property: string;
  update_behavior: UpdateBehavior;
}
export interface RulesetInput {
  name: string;
  enabled: boolean;
  is_primary: boolean;
}
export interface RuleInput {
  property: string;
  condition: string;
  comparison_value: string;
  weight: number;
  ui_order?: number | undefined;
}

const duplicateMapping = () => conflict('this source field is already mapped onto this property');
const duplicateName = () => conflict('a rule set with this name already exists');

/** Field mappings, rulesets and rules of profile and account scoring (one kind per call). */
export function createPropertyScoringService(deps: { db: Db }) {
  const { db } = deps;
  const repo = createPropertyScoringRepository(db);

  async function requireRuleset(t: Tenant, kind: PropertyKind, id: string): Promise<RulesetRow> {
    const row = await repo.findRuleset(t, kind, id);
    if (!row) throw notFound(`${kind} rule set`);
    return row;
  }

  /** Writes a ruleset; making it primary demotes the OU's other primary of the kind in the same transaction. */
  function saveRuleset(t: Tenant, kind: PropertyKind, id: string | null, input: RulesetInput): Promise<RulesetRow> {
    return db.transaction().execute(async (trx) => {
      const r = createPropertyScoringRepository(trx);
      await r.lockRulesets(t, kind);
      if (input.is_primary) await r.clearPrimary(t, kind, id);
      if (id === null) return (await r.insertRuleset(t, kind, input)) ?? Promise.reject(duplicateName());
      const clash = (await r.listRulesets(t, kind)).find((s) => s.id !== id && s.name.toLowerCase() === input.name.toLowerCase());
      if (clash) throw duplicateName();
      return (await r.updateRuleset(t, kind, id, input)) ?? Promise.reject(notFound(`${kind} rule set`));
    });
  }

  return {
    listMappings: (t: Tenant, kind: PropertyKind) => repo.listMappings(t, kind),
    async createMapping(t: Tenant, kind: PropertyKind, input: MappingInput) {
      return (await repo.insertMapping(t, kind, input)) ?? Promise.reject(duplicateMapping());
    },
    async updateMapping(t: Tenant, kind: PropertyKind, id: string, input: MappingInput) {
      const same = (await repo.listMappings(t, kind)).find((m) => m.id !== id && m.source_field === input.source_field && m.property === input.property);
      if (same) throw duplicateMapping();
      return (await repo.updateMapping(t, kind, id, input)) ?? Promise.reject(notFound(`${kind} field mapping`));
    },
    async deleteMapping(t: Tenant, kind: PropertyKind, id: string) {
      if (!(await repo.deleteMapping(t, kind, id))) throw notFound(`${kind} field mapping`);
    },

    listRulesets: (t: Tenant, kind: PropertyKind) => repo.listRulesets(t, kind),
    createRuleset: (t: Tenant, kind: PropertyKind, input: RulesetInput) => saveRuleset(t, kind, null, input),
    async updateRuleset(t: Tenant, kind: PropertyKind, id: string, input: RulesetInput) {
      await requireRuleset(t, kind, id);
      return saveRuleset(t, kind, id, input);
    },
    async deleteRuleset(t: Tenant, kind: PropertyKind, id: string) {
      if (!(await repo.deleteRuleset(t, kind, id))) throw notFound(`${kind} rule set`);
    },

    async listRules(t: Tenant, kind: PropertyKind, rulesetId: string): Promise<RuleRow[]> {
      await requireRuleset(t, kind, rulesetId);
      return repo.listRules(t, rulesetId);
    },
    async createRule(t: Tenant, kind: PropertyKind, rulesetId: string, input: RuleInput): Promise<RuleRow> {
      await requireRuleset(t, kind, rulesetId);
      return repo.insertRule(t, rulesetId, { ...input, ui_order: input.ui_order ?? 0 });
    },
    /** A partial update; the condition and value it leaves must still fit together (400 otherwise). */
    async updateRule(t: Tenant, kind: PropertyKind, rulesetId: string, ruleId: string, input: Partial<RuleInput>): Promise<RuleRow> {
      await requireRuleset(t, kind, rulesetId);
      const current = await repo.findRule(t, rulesetId, ruleId);
      if (!current) throw notFound(`${kind} rule`);
      const message = conditionError(input.condition ?? current.condition, input.comparison_value ?? current.comparison_value);
      if (message) throw new AppError('validation_failed', message, [{ field: 'body.comparison_value', message }]);
      return (await repo.updateRule(t, rulesetId, ruleId, input)) ?? Promise.reject(notFound(`${kind} rule`));
    },
    async deleteRule(t: Tenant, kind: PropertyKind, rulesetId: string, ruleId: string) {
      await requireRuleset(t, kind, rulesetId);
      if (!(await repo.deleteRule(t, rulesetId, ruleId))) throw notFound(`${kind} rule`);
    },

    /** The rules that score a kind now (primary enabled ruleset, else the oldest enabled one). */
    scoringRules: (t: Tenant, kind: PropertyKind) => repo.scoringRules(t, kind),
  };
}

export type PropertyScoringService = ReturnType<typeof createPropertyScoringService>;
