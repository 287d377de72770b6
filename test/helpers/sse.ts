import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text(): string;
  /** Resolves once the received text satisfies the predicate (fails the test after 10 s). */
  waitFor(predicate: (text: string) => boolean): Promise<string>;
  /** Resolves with everything received once the server ends the stream (fails after 10 s). */
  ended(): Promise<string>;
  isEnded(): boolean;
  close(): void;
}

/** Listens on a free local port and answers the base URL. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

function waitUntil(done: () => boolean, describe: () => string, waiters: Set<() => void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(describe())), 10_000);
    const check = () => {
      if (!done()) return;
      clearTimeout(timeout);
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
  });
}

/** Opens GET /stream over a real connection, as a browser's EventSource would. */
export function openStream(base: string, headers: Record<string, string>, query = ''): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/stream${query}`, { headers }, (res) => {
      let received = '';
      let ended = false;
      const waiters = new Set<() => void>();
      const notify = () => {
        for (const check of [...waiters]) check();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        received += chunk;
        notify();
      });
      res.on('end', () => {
        ended = true;
        notify();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => received,
        waitFor: async (predicate) => {
          await waitUntil(() => predicate(received), () => `stream never matched; got ${received}`, waiters);
          return received;
        },
        ended: async () => {
          await waitUntil(() => ended, () => `stream never ended; got ${received}`, waiters);
          return received;
        },
        isEnded: () => ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
