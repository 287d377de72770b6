import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { pageQuery } from '../../http/pagination.js';
import { errorResponses } from '../../http/responses.js';
import { createSetAsideRepository } from './set-aside.repository.js';

const setAsideEventSchema = z
  .object({
    event_id: z.string(),
    lead_id: z.string(),
    event_type: z.string(),
    occurred_at: z.string(),
    received_at: z.string(),
    set_aside_at: z.string(),
    scoring_error: z.string().describe('A code: `scoring_failed`, or `scoring_failed:<SQLSTATE>` when the database refused the write'),
    attempts: z.number().int().describe('Failed scoring attempts before the event was set aside'),
  })
  .meta({ id: 'SetAsideEvent' });

const setAsideListSchema = z.object({ events: z.array(setAsideEventSchema), total: z.number().int(), page: z.number().int(), limit: z.number().int() });

/** The scoring worker's admin surface: events it set aside (docs/scoring.md, "Fault isolation"). */
export async function scoringWorkerRoutes(app: FastifyInstance, deps: { db: Db }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createSetAsideRepository(deps.db);

  r.get('/admin/scoring/set-aside', {
    config: { access: access.ouMember('Owner') },
    schema: {
      tags: ['Admin'],
      operationId: 'listSetAsideEvents',
      summary: 'Events of the active OU the scoring worker set aside unscored after repeated failures (newest first)',
      description:
        'An event whose scoring fails MAX_EVENT_FAILURES (3) times, each in its own retried attempt, is set aside: it ' +
        'stays stored with `scored_at` set, no score rows and `metadata.scoring_error`; its lead\'s later events are ' +
        'then scored. Rescoring the lead (a merge, a delete of its events) queues it again.',
      querystring: pageQuery,
      response: { 200: setAsideListSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const { page, limit } = request.query;
      const { rows, total } = await repo.list(tenantOf(request.auth), page, limit);
      const events = rows.map((row) => ({
        event_id: row.event_id,
        lead_id: row.lead_id,
        event_type: row.event_type,
        occurred_at: row.occurred_at.toISOString(),
        received_at: row.received_at.toISOString(),
        set_aside_at: row.set_aside_at.toISOString(),
        scoring_error: row.error,
        attempts: row.attempts,
      }));
      return { events, total, page, limit };
    },
  });
}
