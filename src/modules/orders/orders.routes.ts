import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import { orderBody, orderSchema } from './orders.schemas.js';
import type { OrdersService } from './orders.service.js';

/** routes.md lists POST /orders under "Events": the order feeds the lead's activity stream. */
const tags = ['Events'];

export async function ordersRoutes(app: FastifyInstance, deps: { orders: OrdersService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/orders', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'createOrder',
      summary: 'Record an order for a lead (shown in its activity stream; never scored)',
      body: orderBody,
      response: { 201: orderSchema, ...errorResponses(400, 401, 403, 404, 409, 413) },
    },
    handler: async (request, reply) => reply.code(201).send(await deps.orders.create(tenantOf(request.auth), request.body)),
  });
}
