import autocannon, { type Result } from 'autocannon';
import { paced } from './paced.js';

/** Event types of the generated load, in proportion (the bench server has rules for them). */
const TYPES = ['page_view', 'page_view', 'page_view', 'page_view', 'page_view', 'page_view', 'email_open', 'email_open', 'pricing_view', 'form_submit'];

/**
 * POST /events bodies identified by an email alias: `newShare` of them a never-seen email (a new
 * lead), the others one of the `leads` seeded emails (lead-<i>@bench.io), picked at random.
 */
export function eventBodies(leads: number, newShare: number) {
  let n = 0;
  const runId = Date.now().toString(36);
  return {
    next(): string {
      n++;
      const email = Math.random() < newShare ? `new-${runId}-${n}@bench.io` : `lead-${1 + Math.floor(Math.random() * leads)}@bench.io`;
      return JSON.stringify({
        aliases: [{ alias_kind: 'email', raw_value: email }],
        event_type: TYPES[n % TYPES.length],
        metadata: { path: `/p/${n % 50}`, utm_source: 'bench' },
      });
    },
    count: () => n,
  };
}

export interface LoadOptions {
  port: number;
  path: string;
  authorization: string;
  connections: number;
  duration: number;
  body: () => string;
  /** Fixed rate (requests/s over all connections); as fast as possible when absent. */
  rate?: number;
}

/**
 * As fast as `connections` go (autocannon), or at a fixed `rate` with Poisson arrivals (paced.ts).
 * BENCH_ARRIVALS=autocannon gives the fixed rate to autocannon instead: each second's quota sent as
 * a burst at the start of the second (the figures before 2026-12-01 evening were taken so).
 */
export function load(o: LoadOptions): Promise<Result> {
  if (o.rate && process.env.BENCH_ARRIVALS !== 'autocannon') return paced({ ...o, rate: o.rate });
  const headers = { authorization: o.authorization, 'content-type': 'application/json' };
  return autocannon({
    url: `http://127.0.0.1:${o.port}`,
    connections: o.connections,
    duration: o.duration,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [{ method: 'POST', path: o.path, headers, setupRequest: (req) => ({ ...req, body: o.body() }) }],
  });
}

/** Answers the text of GET `path` on the server (e.g. /metrics). */
export async function getText(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return res.text();
}
