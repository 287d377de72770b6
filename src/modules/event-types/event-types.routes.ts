import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import { errorResponses } from '../../http/responses.js';
import {
  deletePreviewSchema,
  deleteResultSchema,
  eventTypeParams,
  eventTypeSettingSchema,
  propertiesSchema,
  toSetting,
  updateSettingBody,
} from './event-types.schemas.js';
import { createEventTypesService } from './event-types.service.js';
import { tenantOf } from '../../auth/tenant.js';

/** GET /event-types… (routes.md "Events") and /settings/event-types… ("Settings, event types, Slack"). */
export async function eventTypesRoutes(app: FastifyInstance, deps: { db: Db }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createEventTypesService({ db: deps.db });
  const eventsTags = ['Events'];
  const tags = ['Settings'];

  r.get('/event-types', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags: eventsTags,
      operationId: 'listEventTypes',
      summary: 'Event type names visible in the active OU (hidden types left out)',
      response: { 200: z.array(z.string()), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.listVisible(tenantOf(request.auth)),
  });

  r.get('/event-types/:eventType/properties', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags: eventsTags,
      operationId: 'listEventTypeProperties',
      summary: 'Distinct metadata keys of an event type in the active OU (from its latest 10,000 events)',
      params: eventTypeParams,
      response: { 200: propertiesSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.properties(tenantOf(request.auth), request.params.eventType),
  });

  r.get('/settings/event-types', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags,
      operationId: 'listEventTypeSettings',
      summary: 'Event types of the active OU with their visibility, processing scope, mapping and counts',
      response: { 200: z.array(eventTypeSettingSchema), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => (await service.listSettings(tenantOf(request.auth))).map(toSetting),
  });

  r.put('/settings/event-types/:eventType', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'updateEventTypeSetting',
      summary: 'Set OU visibility, max_processing_scope or canonical_type of an event type (upsert)',
      params: eventTypeParams,
      body: updateSettingBody,
      response: { 200: eventTypeSettingSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) =>
      toSetting(await service.updateSetting(tenantOf(request.auth), request.params.eventType, request.body)),
  });

  r.get('/settings/event-types/:eventType/delete-preview', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'previewDeleteEventType',
      summary: 'Dry run of deleting all events of a type in the active OU',
      params: eventTypeParams,
      response: { 200: deletePreviewSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => service.deletePreview(tenantOf(request.auth), request.params.eventType),
  });

  r.delete('/settings/event-types/:eventType/events', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'deleteEventTypeEvents',
      summary: 'Delete all events of a type in the active OU (the setting itself stays)',
      params: eventTypeParams,
      response: { 200: deleteResultSchema, ...errorResponses(400, 401, 403, 503) },
    },
    handler: async (request) => service.deleteEvents(tenantOf(request.auth), request.params.eventType),
  });
}
