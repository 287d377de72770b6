import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../../auth/access.js';
import { tenantOf } from '../../../auth/tenant.js';
import { errorResponses } from '../../../http/responses.js';
import { deliveriesQuery, deliveryIdParams, deliverySchema, toDelivery, webhookSecretSchema } from '../delivery/deliveries.schemas.js';
import type { DeliveriesService } from '../delivery/deliveries.service.js';
import { tags } from './trigger-crud.js';

const toSecret = (s: { secret: string; rotated_at: Date }) => ({ secret: s.secret, rotated_at: s.rotated_at.toISOString() });

/** The outbox (GET /deliveries, replay) and the organization's webhook signing secret (added routes). */
export function registerDeliveryRoutes(app: FastifyInstance, deliveries: DeliveriesService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/deliveries', {
    config: { access: access.ou('Viewer') },
    schema: {
      tags,
      operationId: 'listDeliveries',
      summary: 'List action deliveries (webhook, email, Slack) with status and attempts, newest first',
      querystring: deliveriesQuery,
      response: { 200: z.array(deliverySchema), ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const { page, limit, ...filter } = request.query;
      return (await deliveries.list(tenantOf(request.auth), filter, page, limit)).map(toDelivery);
    },
  });
  r.post('/deliveries/:id/replay', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'replayDelivery',
      summary: 'Send a delivery again: pending now, with a fresh budget of attempts (409 while an attempt is in flight)',
      params: deliveryIdParams,
      response: { 202: deliverySchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request, reply) => reply.code(202).send(toDelivery(await deliveries.replay(tenantOf(request.auth), request.params.id))),
  });
  r.get('/settings/webhook-secret', {
    config: { access: access.orgAdmin },
    schema: { tags, operationId: 'getWebhookSecret', summary: "The organization's webhook signing secret (org admins) (added)", response: { 200: webhookSecretSchema, ...errorResponses(401, 403) } },
    handler: async (request) => toSecret(await deliveries.webhookSecret(request.auth.orgId)),
  });
  r.post('/settings/webhook-secret/rotate', {
    config: { access: access.orgAdmin },
    schema: { tags, operationId: 'rotateWebhookSecret', summary: 'Replace the webhook signing secret; later deliveries are signed with the new one (org admins) (added)', response: { 200: webhookSecretSchema, ...errorResponses(401, 403) } },
    handler: async (request) => toSecret(await deliveries.rotateWebhookSecret(request.auth.orgId)),
  });
}
