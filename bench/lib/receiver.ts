import http from 'node:http';

/** One webhook POST as the receiver saw it. */
export interface Arrival {
  deliveryId: string;
  attempt: number;
  /** Date.now() when the whole body had arrived. */
  arrivedAt: number;
  payload: { firing_id?: string; event?: { id?: string; occurred_at?: string } };
}

/**
 * A local webhook receiver (127.0.0.1, a free port) that answers 200 to every POST (after
 * `delayMs`, to keep deliveries in flight) and records each one: the X-Leadvibe-Delivery id, the
 * attempt, the arrival time and the JSON body.
 */
export async function startReceiver(o: { delayMs?: number } = {}) {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrivedAt = Date.now();
      let payload: Arrival['payload'] = {};
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Arrival['payload'];
      } catch {
        // recorded with an empty payload: a bench counts it, it does not crash on it
      }
      arrivals.push({ deliveryId: String(req.headers['x-leadvibe-delivery'] ?? ''), attempt: Number(req.headers['x-leadvibe-attempt'] ?? 0), arrivedAt, payload });
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (o.delayMs) setTimeout(answer, o.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
