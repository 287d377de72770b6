import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { errorResponses } from '../../http/responses.js';
import type { LeadsService } from '../leads/leads.service.js';
import type { DeliveriesService } from './delivery/deliveries.service.js';
import { createFiringsService } from './firings.service.js';
import { registerDeliveryRoutes } from './routes/deliveries.routes.js';
import { registerFiringRoutes } from './routes/firing-routes.js';
import { registerTriggerCrud, tags } from './routes/trigger-crud.js';
import {
  milestoneBody,
  milestoneSchema,
  milestoneUpdateBody,
  patternBody,
  patternSchema,
  patternUpdateBody,
  sequenceBody,
  sequenceSchema,
  sequenceUpdateBody,
  surgeBody,
  surgeEventsQuery,
  surgeSchema,
  surgeUpdateBody,
  toMilestone,
  toPattern,
  toSequence,
  toSurge,
} from './triggers.schemas.js';
import { createTriggersService } from './triggers.service.js';

export interface TriggersRoutesDeps {
  db: Db;
  leads: Pick<LeadsService, 'requireLead'>;
  allowPrivateWebhooks: boolean;
  deliveries: DeliveriesService;
}

/** Trigger definitions, their firings and simulations (routes.md "Triggers", semantics §7). */
export async function triggersRoutes(app: FastifyInstance, deps: TriggersRoutesDeps) {
  const service = createTriggersService(deps);
  const firings = createFiringsService({ db: deps.db, triggers: service, leads: deps.leads });
  const op = { read: access.ou('Viewer'), write: access.ou('Operator') };
  registerTriggerCrud(app, service, { path: '/triggers', kind: 'pattern', noun: 'PatternTrigger', label: 'pattern trigger', body: patternBody, updateBody: patternUpdateBody, response: patternSchema, toApi: toPattern, ...op });
  registerTriggerCrud(app, service, { path: '/milestones', kind: 'milestone', noun: 'MilestoneTrigger', label: 'milestone trigger', body: milestoneBody, updateBody: milestoneUpdateBody, response: milestoneSchema, toApi: toMilestone, ...op });
  registerFiringRoutes(app, firings, { path: '/milestones', kind: 'milestone', noun: 'Milestone', label: 'milestone' });
  registerTriggerCrud(app, service, { path: '/sequences', kind: 'sequence', noun: 'SequenceTrigger', label: 'sequence trigger', body: sequenceBody, updateBody: sequenceUpdateBody, response: sequenceSchema, toApi: toSequence, ...op });
  registerFiringRoutes(app, firings, { path: '/sequences', kind: 'sequence', noun: 'Sequence', label: 'sequence' });
  // Surge triggers [Phase 2 — paused]: stored and validated, never fire (semantics §7); JWT only (routes.md).
  registerTriggerCrud(app, service, {
    path: '/surge-triggers', kind: 'surge', noun: 'SurgeTrigger', label: 'surge trigger [Phase 2 — paused: stored, never fires]',
    body: surgeBody, updateBody: surgeUpdateBody, response: surgeSchema, toApi: toSurge, read: access.ouMember('Viewer'), write: access.ouMember('Operator'),
  });
  app.withTypeProvider<ZodTypeProvider>().get('/surge-events', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags,
      operationId: 'listSurgeEvents',
      summary: 'List surge events [Phase 2 — paused]: surge triggers never fire, so this is always an empty list',
      querystring: surgeEventsQuery,
      response: { 200: z.array(z.object({})), ...errorResponses(400, 401, 403) },
    },
    handler: async () => [],
  });
  registerDeliveryRoutes(app, deps.deliveries);
}
