import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface ReceivedRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver for webhook tests: records every request; `status` is what it answers. */
export interface Receiver {
  url: (path?: string) => string;
  port: () => number;
  requests: ReceivedRequest[];
  status: number;
}

export function setupReceiver(): Receiver {
  const receiver: Receiver & { server?: http.Server } = {
    requests: [],
    status: 200,
    port: () => (receiver.server?.address() as AddressInfo).port,
    url: (path = '/hook') => `http://127.0.0.1:${receiver.port()}${path}`,
  };
  beforeAll(async () => {
    receiver.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        receiver.requests.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body });
        res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    receiver.server.listen(0, '127.0.0.1');
    await once(receiver.server, 'listening');
  });
  afterAll(async () => {
    receiver.server?.closeAllConnections();
    await new Promise((resolve) => receiver.server?.close(resolve));
  });
  return receiver;
}
