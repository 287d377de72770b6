import type { AuthContext } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { lockUnitExclusive } from '../../db/locks.js';
import { transactionWithRetry } from '../../db/transaction.js';
import type { LevelKind } from '../../db/types.js';
import { AppError, conflict, forbidden, notFound } from '../../http/errors.js';
import type { NewUnit } from '../org/unit-defaults.js';
import { createScoringRepository } from './scoring.repository.js';
import { createDecaysFiltersService } from './decays-filters.service.js';
import {
  effectivePolicy,
  type CreateRuleInput,
  type LevelInput,
  type ScoringSettingsInput,
  type SurgePolicyInput,
  type UpdateRuleInput,
} from './scoring.schemas.js';
import { STANDARD_POLICY } from './surge.js';
import { tenantOf, type Tenant } from '../../auth/tenant.js';

/** Semantics §3: every OU starts with these. */
export const DEFAULT_LEVELS = [
  { name: 'Cold', min_score: 0, max_score: 39 },
  { name: 'Warm', min_score: 40, max_score: 79 },
  { name: 'Hot', min_score: 80, max_score: 1_000_000 },
];

/** The unit-defaults provisioner: primary "Engagement" ruleset, engagement levels, standard surge. */
export async function provisionScoringDefaults(trx: Db, unit: NewUnit): Promise<void> {
  const base = { org_id: unit.orgId, unit_id: unit.unitId };
  await trx.insertInto('rulesets').values({ ...base, name: 'Engagement', score_column: 'total_score', is_primary: true }).execute();
  await trx
    .insertInto('levels')
    .values(DEFAULT_LEVELS.map((l) => ({ ...base, kind: 'engagement' as const, created_by: null, updated_by: null, ...l })))
    .execute();
  await trx
    .insertInto('surge_policies')
    .values({
      ...base,
      mode: STANDARD_POLICY.mode,
      bands: JSON.stringify(STANDARD_POLICY.bands),
      idle_reset_seconds: STANDARD_POLICY.idle_reset_seconds,
      multiplier_cap: STANDARD_POLICY.multiplier_cap,
    })
    .execute();
}

function duplicateName(error: unknown): never {
  if (isUniqueViolation(error, 'rulesets_unit_lower_name')) throw conflict('a ruleset with this name already exists');
  throw error;
}

export function createScoringService(deps: { db: Db }) {
  const { db } = deps;
  const repo = createScoringRepository(db);

  async function requireRuleset(t: Tenant, id: string) {
    const ruleset = await repo.findRuleset(t, id);
    if (!ruleset) throw notFound('ruleset');
    return ruleset;
  }

  async function assertNoOverlap(trxRepo: ReturnType<typeof createScoringRepository>, t: Tenant, kind: LevelKind, input: LevelInput, exceptId?: string) {
    await trxRepo.lockUnit(t);
    const clash = await trxRepo.overlappingLevels(t, kind, input.min_score, input.max_score, exceptId);
    if (clash.length > 0) throw conflict(`the range overlaps the ${kind} level "${clash[0]?.name}"`);
  }

  return {
    ...createDecaysFiltersService(repo),
    listRulesets: (t: Tenant) => repo.listRulesets(t),
    listRules: (t: Tenant) => repo.listRules(t),
    listLevels: (t: Tenant, kind: LevelKind) => repo.listLevels(t, kind),
    requireRuleset,

    createRuleset(t: Tenant, input: { name: string; score_column: string; is_primary: boolean }) {
      return db.transaction().execute(async (trx) => {
        const r = createScoringRepository(trx);
        await r.lockUnit(t);
        if (input.is_primary) await r.clearPrimary(t);
        return r.createRuleset({ org_id: t.orgId, unit_id: t.unitId, ...input }).catch(duplicateName);
      });
    },
    /** Its scores go with it (cascade) in every lead of the OU: OU-wide, so the OU's exclusive lock first (src/db/locks.ts). */
    async deleteRuleset(t: Tenant, id: string) {
      const deleted = await transactionWithRetry(db, async (trx) => {
        await lockUnitExclusive(trx, t.unitId);
        return createScoringRepository(trx).deleteRuleset(t, id);
      });
      if (!deleted) throw notFound('ruleset');
    },

    async listRulesOf(t: Tenant, rulesetId: string) {
      await requireRuleset(t, rulesetId);
      return repo.listRules(t, rulesetId);
    },
    async createRule(t: Tenant, memberId: string | null, input: CreateRuleInput) {
      const ruleset = input.ruleset_id ? await requireRuleset(t, input.ruleset_id) : await repo.findPrimaryRuleset(t);
      if (!ruleset) throw new AppError('bad_request', 'the OU has no primary ruleset: give ruleset_id');
      return repo.createRule({
        org_id: t.orgId,
        unit_id: t.unitId,
        ruleset_id: ruleset.id,
        event_type: input.event_type,
        weight: input.weight,
        icon: input.icon ?? null,
        active: input.active,
        start_at: input.start_at ?? null,
        end_at: input.end_at ?? null,
        created_by: memberId,
        updated_by: memberId,
      });
    },
    async updateRule(t: Tenant, memberId: string | null, id: string, input: UpdateRuleInput) {
      const current = await repo.findRule(t, id);
      if (!current) throw notFound('rule');
      if (input.ruleset_id) await requireRuleset(t, input.ruleset_id);
      const start = input.start_at === undefined ? current.start_at : input.start_at;
      const end = input.end_at === undefined ? current.end_at : input.end_at;
      if (start && end && start.getTime() >= end.getTime()) {
        throw new AppError('validation_failed', 'end_at must be after start_at', [{ field: 'body.end_at', message: 'end_at must be after start_at' }]);
      }
      const { ruleset_id, event_type, weight, icon, active } = input;
      const updated = await repo.updateRule(t, id, {
        ...(ruleset_id !== undefined && { ruleset_id }),
        ...(event_type !== undefined && { event_type }),
        ...(weight !== undefined && { weight }),
        ...(icon !== undefined && { icon }),
        ...(active !== undefined && { active }),
        start_at: start,
        end_at: end,
        updated_by: memberId,
      });
      if (!updated) throw notFound('rule');
      return updated;
    },
    async deleteRule(t: Tenant, id: string) {
      if (!(await repo.deleteRule(t, id))) throw notFound('rule');
    },

    /** Sample data: adds, tagged `source`, the rules whose event type the primary ruleset has none for; answers how many. */
    async addMissingRules(t: Tenant, rules: ReadonlyArray<{ event_type: string; weight: number }>, source: string): Promise<number> {
      const primary = await repo.findPrimaryRuleset(t);
      if (!primary) throw new AppError('bad_request', 'the OU has no primary ruleset');
      const covered = new Set((await repo.listRules(t, primary.id)).map((r) => r.event_type));
      const missing = rules.filter((r) => !covered.has(r.event_type));
      const base = { org_id: t.orgId, unit_id: t.unitId, ruleset_id: primary.id, icon: null, start_at: null, end_at: null, created_by: null, updated_by: null, source };
      await repo.createRules(missing.map((r) => ({ ...base, event_type: r.event_type, weight: r.weight })));
      return missing.length;
    },
    deleteRulesOfSource: (t: Tenant, source: string) => repo.deleteRulesOfSource(t, source),

    createLevel(t: Tenant, memberId: string | null, kind: LevelKind, input: LevelInput) {
      return db.transaction().execute(async (trx) => {
        const r = createScoringRepository(trx);
        await assertNoOverlap(r, t, kind, input);
        return r.createLevel({ org_id: t.orgId, unit_id: t.unitId, kind, ...input, created_by: memberId, updated_by: memberId });
      });
    },
    updateLevel(t: Tenant, memberId: string | null, kind: LevelKind, id: string, input: LevelInput) {
      return db.transaction().execute(async (trx) => {
        const r = createScoringRepository(trx);
        await assertNoOverlap(r, t, kind, input, id);
        const row = await r.updateLevel(t, kind, id, { ...input, updated_by: memberId });
        if (!row) throw notFound('level');
        return row;
      });
    },
    async deleteLevel(t: Tenant, kind: LevelKind, id: string) {
      if (!(await repo.deleteLevel(t, kind, id))) throw notFound('level');
    },

    async getSurgePolicy(t: Tenant) {
      const row = await repo.findSurgePolicy(t);
      if (row) return row;
      const { mode, bands, idle_reset_seconds, multiplier_cap } = STANDARD_POLICY;
      return { org_id: t.orgId, unit_id: t.unitId, mode, bands: bands.map((b) => ({ ...b })), idle_reset_seconds, multiplier_cap };
    },
    putSurgePolicy(t: Tenant, input: SurgePolicyInput) {
      const { bands, multiplier_cap } = effectivePolicy(input);
      return repo.upsertSurgePolicy({
        org_id: t.orgId,
        unit_id: t.unitId,
        mode: input.mode,
        bands: JSON.stringify(bands),
        idle_reset_seconds: input.idle_reset_seconds,
        multiplier_cap,
      });
    },

    getSettings: (t: Tenant) => repo.findSettings(t),
    async putSettings(auth: AuthContext, input: ScoringSettingsInput) {
      const t = tenantOf(auth);
      const orgToggles = {
        ...(input.allow_negative_scores !== undefined && { allow_negative_scores: input.allow_negative_scores }),
        ...(input.abm_enabled !== undefined && { abm_enabled: input.abm_enabled }),
      };
      if (Object.keys(orgToggles).length > 0 && auth.orgRole !== 'admin') {
        throw forbidden('organization-wide scoring toggles need an organization admin');
      }
      await db.transaction().execute(async (trx) => {
        const r = createScoringRepository(trx);
        if (Object.keys(orgToggles).length > 0) await r.updateOrgToggles(t.orgId, orgToggles);
        if (input.session_timeout_minutes !== undefined) await r.updateSessionTimeout(t, input.session_timeout_minutes);
      });
      return repo.findSettings(t);
    },
  };
}

export type ScoringService = ReturnType<typeof createScoringService>;
