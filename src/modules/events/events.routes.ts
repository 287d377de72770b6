import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { pageQuery } from '../../http/pagination.js';
import { errorResponses } from '../../http/responses.js';
import {
  analyticsSchema,
  batchDeleteBody,
  batchDeleteResult,
  eventSchema,
  filterQuery,
  leadParams,
  listQuery,
  statsSchema,
  toEvent,
  toFilter,
} from './events.schemas.js';
import { createEventsService } from './events.service.js';
import { tenantOf } from '../../auth/tenant.js';
import type { LeadsService } from '../leads/leads.service.js';

/** Reading and managing stored events (issue 3 item 5); ingestion lives in modules/ingest. */
export async function eventsRoutes(app: FastifyInstance, deps: { db: Db; leads: LeadsService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createEventsService(deps);
  const tags = ['Events'];

  r.get('/events', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listEvents',
      summary: 'List engagement events of the active OU, newest first, with metadata filters',
      querystring: listQuery,
      response: { 200: z.array(eventSchema), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const { query } = request;
      return (await service.list(tenantOf(request.auth), toFilter(query), query)).map(toEvent);
    },
  });

  r.get('/events/export', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'exportEvents',
      summary: 'Export the events of the active OU as CSV (streamed), newest first',
      description:
        'Columns: id,lead_id,event_type,timestamp,channel,received_at,metadata (metadata as JSON). ' +
        'Accepts the metadata filters of GET /events. A cell starting with =, +, -, @, tab or CR gets a leading ' +
        "single quote, so a spreadsheet shows it as text rather than running it as a formula.",
      querystring: filterQuery,
      response: {
        200: { description: 'CSV with a header row', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses(400, 401, 403),
      },
    },
    handler: async (request, reply) => {
      const lines = service.exportCsv(tenantOf(request.auth), toFilter(request.query));
      // The typed reply only knows the schema's string body; a stream is sent as is, unserialized.
      const streaming: FastifyReply = reply;
      return streaming
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="events.csv"')
        .send(Readable.from(lines));
    },
  });

  r.post('/events/batch-delete', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'batchDeleteEvents',
      summary: 'Delete events of the active OU by id (ids of other OUs are reported as not_found)',
      body: batchDeleteBody,
      response: { 200: batchDeleteResult, ...errorResponses(400, 401, 403, 503) },
    },
    handler: async (request) => service.batchDelete(tenantOf(request.auth), request.body.ids),
  });

  r.get('/events/stats', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'eventStats',
      summary: 'Event statistics of the last 24 hours (canonical rows only)',
      response: { 200: statsSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.stats(tenantOf(request.auth)),
  });

  r.get('/events-analytics', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'eventsAnalytics',
      summary: 'Event totals and counts per type (canonical rows only)',
      response: { 200: analyticsSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.analytics(tenantOf(request.auth)),
  });

  r.get('/channels', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listChannels',
      summary: 'Distinct channels observed in the active OU',
      response: { 200: z.array(z.string()), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.channels(tenantOf(request.auth)),
  });

  r.get('/leads/:leadID/events', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listLeadEvents',
      summary: 'Events of one lead of the active OU, newest first',
      params: leadParams,
      querystring: pageQuery,
      response: { 200: z.array(eventSchema), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) =>
      (await service.listByLead(tenantOf(request.auth), request.params.leadID, request.query)).map(toEvent),
  });
}
