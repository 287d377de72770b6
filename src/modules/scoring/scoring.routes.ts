import type { FastifyInstance } from 'fastify';
import { decaysRoutes, filtersRoutes } from './routes/decays-filters.routes.js';
import { levelsRoutes } from './routes/levels.routes.js';
import { rulesetsRoutes } from './routes/rulesets.routes.js';
import { scoringSettingsRoutes } from './routes/settings.routes.js';
import type { ScoringService } from './scoring.service.js';

/** Scoring configuration (routes.md "Scoring configuration"): one plugin, split by resource. */
export async function scoringRoutes(app: FastifyInstance, deps: { service: ScoringService }) {
  const { service } = deps;
  await app.register(rulesetsRoutes, { service });
  await app.register(levelsRoutes, { service });
  await app.register(decaysRoutes, { service });
  await app.register(filtersRoutes, { service });
  await app.register(scoringSettingsRoutes, { service });
}
