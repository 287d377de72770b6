import type { FastifyInstance } from 'fastify';
import type { Answer } from './oracle.js';
import type { FuzzRequest } from './requests.js';

/** Operations whose success is a stream that never ends: read the head of it, then hang up. */
export const LONG_LIVED = new Set(['GET /stream']);

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/**
 * A long-lived operation: a success must start an event stream (its first frame is read, then the
 * client goes away, which ends the server's subscription); an error is read whole like any other.
 */
async function sendLongLived(app: FastifyInstance, req: FuzzRequest, headers: Record<string, string>): Promise<Answer> {
  const res = await app.inject({ method: req.method, url: req.url, headers, payload: req.payload, payloadAsStream: true });
  if (res.statusCode >= 400) return { status: res.statusCode, headers: res.headers, body: await readAll(res.stream()) };
  const stream = res.stream();
  const first = await new Promise<string>((resolve) => stream.once('data', (chunk) => resolve(String(chunk))));
  (res.raw.res as unknown as { destroy(): void }).destroy();
  if (!String(res.headers['content-type']).startsWith('text/event-stream') || !first.startsWith(':')) {
    return { status: 500, headers: res.headers, body: `not an event stream: ${res.headers['content-type']} ${first}` };
  }
  return { status: res.statusCode, headers: res.headers, body: first };
}

/** Sends one fuzzed request through app.inject with the caller's credentials. */
export async function send(app: FastifyInstance, opId: string, req: FuzzRequest, auth: Record<string, string>): Promise<Answer> {
  const headers = { ...auth, ...req.headers };
  if (LONG_LIVED.has(opId)) return sendLongLived(app, req, headers);
  const res = await app.inject({ method: req.method, url: req.url, headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
  return { status: res.statusCode, headers: res.headers, body: res.body };
}
