import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, type AuthContext } from '../../auth/access.js';
import { AppError, forbidden } from '../../http/errors.js';
import { errorResponses } from '../../http/responses.js';
import type { LiveHub } from '../../live/live-hub.js';

/** A client that cannot keep up is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const streamQuery = z.object({
  ouId: z.string().uuid().optional().describe('OU to stream; one the caller belongs to (default: the active OU)'),
});

/** The OU a stream follows: `ouId` when the caller belongs to it (else 403), else the active OU. */
function streamUnit(auth: AuthContext, ouId: string | undefined): string {
  if (ouId) {
    if (auth.roleIn(ouId) === null) throw forbidden('you are not a member of this OU');
    return ouId;
  }
  if (!auth.unitId) throw new AppError('ou_required', 'pass ouId or select an active OU first (POST /org-units/active)');
  return auth.unitId;
}

/**
 * GET /stream: Server-Sent Events of one OU (`event: <name>` + JSON `data:`), authenticated
 * unlike the reference (semantics §1). A comment line every heartbeat keeps proxies from closing
 * an idle stream; the subscription ends when the client goes away or the app closes.
 */
export async function streamRoutes(app: FastifyInstance, deps: { live: LiveHub; heartbeatMs: number }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  r.get('/stream', {
    // Any authenticated caller: the OU comes from `ouId` (checked below) or the active OU.
    config: { access: access.anyCaller },
    schema: {
      tags: ['Events'],
      operationId: 'stream',
      summary: 'Server-sent events of one OU: event_ingested, score_update, surge',
      querystring: streamQuery,
      response: {
        200: z.string().describe('text/event-stream: `event: <name>` and `data: <json>` frames, `: heartbeat` comments'),
        ...errorResponses(400, 401, 403),
      },
    },
    handler: async (request, reply) => {
      const unitId = streamUnit(request.auth, request.query.ouId);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(request.id),
      });
      res.write(': connected\n\n');

      const end = () => {
        if (!open.delete(end)) return;
        clearInterval(heartbeat);
        unsubscribe();
        if (!res.writableEnded) res.end();
      };
      const send = (chunk: string) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn({ unitId }, 'stream client too slow; closing it');
          end();
          return;
        }
        res.write(chunk);
      };
      const unsubscribe = deps.live.subscribe([unitId], (message) =>
        send(`event: ${message.name}\ndata: ${JSON.stringify(message.data)}\n\n`),
      );
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), deps.heartbeatMs);
      open.add(end);
      res.on('close', end);
    },
  });
}
