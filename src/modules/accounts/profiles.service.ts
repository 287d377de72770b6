import { z } from 'zod';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { JsonObject } from '../../db/types.js';
import type { LeadsService } from '../leads/leads.service.js';
import { createPropertyScoresRepository } from './property-scores.repository.js';
import { createPropertyScoringRepository } from './property-scoring.repository.js';

export const leadProfileSchema = z
  .object({
    lead_id: z.string(),
    properties: z.record(z.string(), z.unknown()).describe('The lead’s values of the properties profile mappings write'),
    metadata: z.record(z.string(), z.unknown()),
    profile_score: z.number().int().describe('Σ weights of the matching rules of the scoring profile ruleset (0 without one)'),
    profile_level: z.string().nullable().describe('The profile level whose range holds the score'),
    ruleset_id: z.string().nullable().describe('The profile ruleset that scored: the enabled primary, else the oldest enabled'),
  })
  .meta({ id: 'LeadProfile' });

/** Profile reads: a lead's profile (score and level computed now, in SQL) and the OU's lead metadata keys. */
export function createProfilesService(deps: { db: Db; leads: Pick<LeadsService, 'requireLead'> }) {
  const scores = createPropertyScoresRepository(deps.db);
  const config = createPropertyScoringRepository(deps.db);
  return {
    async leadProfile(t: Tenant, leadId: string): Promise<z.infer<typeof leadProfileSchema>> {
      const lead = await deps.leads.requireLead(t, leadId);
      const metadata = lead.metadata as JsonObject;
      const [{ rulesetId, rules }, mappings] = await Promise.all([config.scoringRules(t, 'profile'), config.listMappings(t, 'profile')]);
      const scored = await scores.scoreOf(t, 'profile', leadId, rules);
      const mapped = new Set(mappings.map((m) => m.property));
      return {
        lead_id: lead.id,
        properties: Object.fromEntries(Object.entries(metadata).filter(([k]) => mapped.has(k))),
        metadata,
        profile_score: scored?.score ?? 0,
        profile_level: scored?.level ?? null,
        ruleset_id: rulesetId,
      };
    },
    properties: (t: Tenant) => scores.metadataKeys(t, 'profile'),
  };
}

export type ProfilesService = ReturnType<typeof createProfilesService>;
