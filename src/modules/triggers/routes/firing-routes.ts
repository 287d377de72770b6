import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
import { tenantOf } from '../../../auth/tenant.js';
import { errorResponses } from '../../../http/responses.js';
import { FIRING_COLUMNS, toFiring, type FiringsService } from '../firings.service.js';
import { firingSchema, firingsExportQuery, firingsQuery, simulateBody, simulateSchema, triggerIdParams } from '../triggers.schemas.js';
import { tags } from './trigger-crud.js';

/** `/{family}/events`, its CSV export and `/{family}/{id}/simulate` (milestones and sequences). */
export function registerFiringRoutes(app: FastifyInstance, firings: FiringsService, spec: { path: string; kind: 'milestone' | 'sequence'; noun: string; label: string }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { path, kind, noun, label } = spec;
  r.get(`${path}/events`, {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: `list${noun}Events`,
      summary: `List emitted ${label} events, newest first (filters: trigger_id, lead_id, start/end on fired_at)`,
      querystring: firingsQuery,
      response: { 200: z.array(firingSchema), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const { page, limit, ...filter } = request.query;
      return (await firings.list(tenantOf(request.auth), kind, filter, page, limit)).map(toFiring);
    },
  });
  r.get(`${path}/events/export`, {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: `export${noun}Events`,
      summary: `Export emitted ${label} events as CSV (streamed), newest first`,
      description: `Columns: ${FIRING_COLUMNS.join(',')}. Same filters as the list. A cell starting with =, +, -, @, tab or CR gets a leading single quote.`,
      querystring: firingsExportQuery,
      response: { 200: { description: 'CSV with a header row', content: { 'text/csv': { schema: z.string() } } }, ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      const lines = firings.exportCsv(tenantOf(request.auth), kind, request.query);
      const streaming: FastifyReply = reply;
      return streaming.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${kind}-events.csv"`).send(Readable.from(lines));
    },
  });
  r.post(`${path}/:id/simulate`, {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: `simulate${noun}`,
      summary: `Simulate a ${label} over the last \`days\` of scored events (one lead's with lead_id); never records or delivers`,
      params: triggerIdParams,
      body: simulateBody,
      response: { 200: simulateSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => firings.simulate(tenantOf(request.auth), kind, request.params.id, request.body),
  });
}
