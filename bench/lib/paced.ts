import type { Result } from 'autocannon';
import { createHttpClient } from './http.js';

/**
 * Requests at a fixed average rate with Poisson arrivals (exponential gaps, seeded), each sent at
 * its arrival time whatever the answers of the others, over keep-alive connections.
 *
 * Why not autocannon's `overallRate`: it lets each connection send its quota for the second as fast
 * as it can when the second starts, then pauses; 50 connections at "650/s" send 650 requests in the
 * first ~100–300 ms of every second and nothing after. That is a burst at full speed every second,
 * not half of the sustained rate, and latency measured under it is the time to clear the burst.
 */
export interface PacedOptions {
  port: number;
  path: string;
  authorization: string;
  rate: number;
  duration: number;
  body: () => string;
  /** Sockets kept open (a request waits for a free one only if this many are in flight). */
  connections?: number;
  seed?: number;
}

/** A small deterministic generator (mulberry32), so two runs send the same arrival pattern. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the paced load; answers the subset of autocannon's Result the reports read. */
export async function paced(o: PacedOptions): Promise<Result> {
  const client = createHttpClient(o.port, { authorization: o.authorization }, o.connections ?? 50);
  const next = random(o.seed ?? 42);
  const started = performance.now();
  const end = started + o.duration * 1000;
  const latencies: number[] = [];
  const statuses: number[] = [];
  const inFlight: Promise<void>[] = [];
  let due = started;
  while (due < end) {
    const now = performance.now();
    if (due > now) await new Promise((r) => setTimeout(r, Math.max(0, due - now - 0.5)));
    const sentAt = performance.now();
    inFlight.push(client.request('POST', o.path, o.body()).then(({ status }) => {
      latencies.push(performance.now() - sentAt);
      statuses.push(status);
    }));
    due += (-Math.log(1 - next()) / o.rate) * 1000;
  }
  await Promise.all(inFlight);
  client.close();
  return summarize(latencies, statuses, (performance.now() - started) / 1000);
}

function summarize(latencies: number[], statuses: number[], seconds: number): Result {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  const ok = statuses.filter((s) => s >= 200 && s < 300).length;
  const average = statuses.length / seconds;
  return {
    requests: { average, mean: average, p50: average, p99: average, max: average, total: statuses.length },
    latency: { average: mean, mean, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
    errors: statuses.filter((s) => s < 0).length,
    timeouts: 0,
    non2xx: statuses.filter((s) => s >= 0 && (s < 200 || s >= 300)).length,
    '2xx': ok,
    duration: seconds,
  };
}
