import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import {
  createLeadBody,
  deletionStatusSchema,
  leadAliasSchema,
  leadMetadataSchema,
  leadParamsSchema,
  leadSchema,
  leadWithAccountSchema,
  mergeBody,
  mergeResultSchema,
  patchMetadataBody,
  replaceLeadBody,
  rescoreResultSchema,
  searchHitSchema,
  searchQuery,
} from './leads.schemas.js';
import type { LeadsService } from './leads.service.js';

/** Routes whose subject is the lead itself (routes.md "Leads"); score reads are in lead-scores.routes.ts. */
export async function leadsRoutes(app: FastifyInstance, deps: { leads: LeadsService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { leads } = deps;
  const tags = ['Leads'];
  const read = { access: access.ou('Viewer') };
  const write = { access: access.ou('Operator') };

  r.post('/leads', {
    config: write,
    schema: {
      tags,
      operationId: 'createLead',
      summary: 'Create a lead with a client-chosen id (409 when the OU already has it)',
      body: createLeadBody,
      response: { 201: leadSchema, ...errorResponses(400, 401, 403, 409, 413) },
    },
    handler: async (request, reply) => reply.code(201).send(await leads.create(tenantOf(request.auth), request.body)),
  });

  r.post('/leads/merge', {
    config: write,
    schema: {
      tags,
      operationId: 'mergeLeads',
      summary: 'Merge source leads into a target lead of the active OU: events and aliases move, sources are marked, the target is rescored',
      description:
        'Refused: a target among the sources (400), a lead not in the active OU (404, also for another OU’s lead), ' +
        'a target or source already merged (409). The target’s scores are rebuilt from its events by the scoring worker after the reply.',
      body: mergeBody,
      response: { 200: mergeResultSchema, ...errorResponses(400, 401, 403, 404, 409, 503) },
    },
    handler: async (request) => leads.merge(tenantOf(request.auth), request.body),
  });

  r.get('/leads/search', {
    config: read,
    schema: {
      tags,
      operationId: 'searchLeads',
      summary: 'Search leads by id prefix or alias value prefix (at most 10; wildcards and quotes match literally)',
      querystring: searchQuery,
      response: { 200: z.array(searchHitSchema), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => leads.search(tenantOf(request.auth), request.query.q),
  });

  r.get('/leads/:leadID', {
    config: read,
    schema: {
      tags,
      operationId: 'getLead',
      summary: 'A lead with its metadata and linked account',
      params: leadParamsSchema,
      response: { 200: leadWithAccountSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => leads.get(tenantOf(request.auth), request.params.leadID),
  });

  r.put('/leads/:leadID', {
    config: write,
    schema: {
      tags,
      operationId: 'updateLead',
      summary: 'Update a lead: replace its metadata and, when account_id is given, its account',
      params: leadParamsSchema,
      body: replaceLeadBody,
      response: { 200: leadSchema, ...errorResponses(400, 401, 403, 404, 413) },
    },
    handler: async (request) => leads.replace(tenantOf(request.auth), request.params.leadID, request.body),
  });

  r.patch('/leads/:leadID/metadata', {
    config: write,
    schema: {
      tags,
      operationId: 'patchLeadMetadata',
      summary: 'Patch lead metadata: shallow merge, a key set to null is removed',
      params: leadParamsSchema,
      body: patchMetadataBody,
      response: { 200: leadMetadataSchema, ...errorResponses(400, 401, 403, 404, 413) },
    },
    handler: async (request) => leads.patchMetadata(tenantOf(request.auth), request.params.leadID, request.body),
  });

  r.delete('/leads/:leadID', {
    config: write,
    schema: {
      tags,
      operationId: 'deleteLead',
      summary: 'Delete a lead with its events, scores, aliases and history, as a durable job (202 + status URL)',
      description:
        'Idempotent: while the delete is queued or running the same job answers; after it completed a repeat ' +
        'answers 202 completed. The lead stays readable until the job removes it.',
      params: leadParamsSchema,
      response: { 202: deletionStatusSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const status = await leads.delete(tenantOf(request.auth), request.params.leadID);
      return reply.code(202).header('location', status.status_url).send(status);
    },
  });

  r.post('/leads/:leadID/rescore', {
    config: write,
    schema: {
      tags,
      operationId: 'rescoreLead',
      summary: 'Rebuild the lead’s event scores, totals, history and levels from its raw events (202; the worker replays them)',
      description:
        'Deterministic: the events are replayed in ingestion order under the current rules, surge policy and filters, so ' +
        'rescoring twice gives identical rows and rescoring a live-scored lead gives the rows the worker wrote (docs/scoring.md).',
      params: leadParamsSchema,
      response: { 202: rescoreResultSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => reply.code(202).send(await leads.rescore(tenantOf(request.auth), request.params.leadID)),
  });

  r.get('/leads/:leadID/deletion-status', {
    config: read,
    schema: {
      tags,
      operationId: 'leadDeletionStatus',
      summary: 'Status of the latest deletion of a lead: queued, running, completed (or failed)',
      params: leadParamsSchema,
      response: { 200: deletionStatusSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => leads.deletionStatus(tenantOf(request.auth), request.params.leadID),
  });

  r.get('/leads/:leadID/aliases', {
    config: read,
    schema: {
      tags,
      operationId: 'listLeadAliases',
      summary: 'List lead aliases (normalized values, oldest first)',
      params: leadParamsSchema,
      response: { 200: z.array(leadAliasSchema), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => leads.listAliases(tenantOf(request.auth), request.params.leadID),
  });
}
