import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access, type AuthContext } from '../../auth/access.js';
import { revocationConcerns, type AccessCheck } from '../../auth/access-check.js';
import type { RevocationBus } from '../../auth/revocations.js';
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
  if (auth.activeOuRefused) throw forbidden(auth.activeOuRefused);
  if (!auth.unitId) throw new AppError('ou_required', 'pass ouId or select an active OU first (POST /org-units/active)');
  return auth.unitId;
}

export interface StreamDeps {
  live: LiveHub;
  heartbeatMs: number;
  revocations: RevocationBus;
  stillAllowed: AccessCheck;
}

/** The last frame of a stream whose caller lost access, before the server closes it. */
const ACCESS_ENDED = `event: access_ended\ndata: ${JSON.stringify({ reason: 'access_revoked' })}\n\n`;

/**
 * GET /stream: Server-Sent Events of one OU (`event: <name>` + JSON `data:`), authenticated
 * unlike the reference (semantics §1). A comment line every heartbeat keeps proxies from closing
 * an idle stream. Access is checked again at each heartbeat and whenever a revocation may concern
 * the caller; a caller who lost it gets `event: access_ended` and the stream closes. The
 * subscription ends when the client goes away or the app closes.
 */
export async function streamRoutes(app: FastifyInstance, deps: StreamDeps) {
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
      summary: 'Server-sent events of one OU: event_ingested, score_update, surge, trigger_fired',
      description:
        'Closed by the server, after an `access_ended` event, once the caller may no longer read the OU: ' +
        'credential deleted, member removed from the OU or deleted, token expired, logged out or ended by a password change.',
      querystring: streamQuery,
      response: {
        200: z.string().describe('text/event-stream: `event: <name>` and `data: <json>` frames, `: heartbeat` comments'),
        ...errorResponses(400, 401, 403),
      },
    },
    handler: async (request, reply) => {
      const unitId = streamUnit(request.auth, request.query.ouId);
      reply.hijack();
      serveStream(request, reply.raw, unitId, deps, open);
    },
  });
}

function writeStreamHead(res: ServerResponse, requestId: string): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  });
  res.write(': connected\n\n');
}

/** Writes the OU's live messages and heartbeats to the response until `end` (registered in `open`). */
function serveStream(request: FastifyRequest, res: ServerResponse, unitId: string, deps: StreamDeps, open: Set<() => void>) {
  writeStreamHead(res, String(request.id));
  const end = () => {
    if (!open.delete(end)) return;
    clearInterval(heartbeat);
    unsubscribe();
    stopWatching();
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
  const watcher = accessWatcher(request, unitId, deps, () => {
    if (open.has(end) && !res.writableEnded && !res.destroyed) res.write(ACCESS_ENDED);
    end();
  });
  const unsubscribe = deps.live.subscribe([unitId], (message) =>
    send(`event: ${message.name}\ndata: ${JSON.stringify(message.data)}\n\n`),
  );
  const stopWatching = deps.revocations.subscribe((revocation) => {
    if (!revocationConcerns(revocation, request.auth)) return;
    // A deleted credential is gone for good; a member change needs a look at the database.
    if (revocation.kind === 'credential') watcher.lose();
    else watcher.check();
  });
  const heartbeat = setInterval(() => {
    send(': heartbeat\n\n');
    watcher.check();
  }, deps.heartbeatMs);
  open.add(end);
  res.on('close', end);
}

/**
 * Re-checks the stream caller's access, one check at a time (a check asked for meanwhile runs after
 * it, so it sees the latest change); `onLost` runs once when access is gone. A check that fails
 * (database unreachable) keeps the stream: the next heartbeat checks again.
 */
function accessWatcher(request: FastifyRequest, unitId: string, deps: StreamDeps, onLost: () => void) {
  let running = false;
  let again = false;
  let lost = false;
  const lose = () => {
    if (lost) return;
    lost = true;
    onLost();
  };
  const check = (): void => {
    if (lost) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    deps
      .stillAllowed(request.auth, unitId)
      .then((allowed) => {
        if (!allowed) lose();
      })
      .catch((err: unknown) => request.log.warn({ err }, 'could not check stream access; keeping it until the next heartbeat'))
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          check();
        }
      });
  };
  return { lose, check };
}
