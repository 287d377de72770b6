import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { describeCheckout } from './processes.js';

export function median(values: number[]): number {
  const v = [...values].sort((x, y) => x - y);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** `fn` run twice to warm up, then `repeat` times: the median time in ms and the last answer. */
/** Untimed calls before the timed ones (BENCH_WARMUP, default 2): a served route's code is JIT-compiled after many calls. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);

export async function timedMedian<T>(fn: () => Promise<T>, repeat: number): Promise<{ ms: number; answer: T }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  let answer!: T;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    answer = await fn();
    times.push(performance.now() - start);
  }
  return { ms: median(times), answer };
}

/**
 * timedMedian of two functions with their calls interleaved (a, b, a, b, …), so that both meet the
 * same moments of a machine whose load changes from second to second.
 */
export async function pairedMedians<A, B>(a: () => Promise<A>, b: () => Promise<B>, repeat: number) {
  for (let i = 0; i < WARMUP; i++) {
    await a();
    await b();
  }
  const times: [number[], number[]] = [[], []];
  let answers!: [A, B];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const x = await a();
    const t1 = performance.now();
    const y = await b();
    times[0].push(t1 - t0);
    times[1].push(performance.now() - t1);
    answers = [x, y];
  }
  return { a: { ms: median(times[0]), answer: answers[0] }, b: { ms: median(times[1]), answer: answers[1] } };
}

export const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
export const fixed = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

/** "load average 1.2 / 2.3 / 3.4" as uptime prints it. */
export function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' / ');
}

/** What the report starts with: when, on what, and the command, so a figure can be traced. */
export function runHeader(command: string, knobs: Record<string, string | number>): string {
  const uptime = execFileSync('uptime').toString().trim();
  const knobText = Object.entries(knobs).map(([k, v]) => `${k}=${v}`).join(' ');
  const server = process.env.BENCH_SERVER_DIR?.includes(',') ? '' : `\napp server: ${describeCheckout(process.env.BENCH_SERVER_DIR)}`;
  return `${new Date().toISOString()} · ${uptime}\ncommand: ${command}\nsettings: ${knobText}${server}\n`;
}

/** Cumulative buckets of one Prometheus histogram in the text format, plus its count. */
export interface Buckets {
  le: number[];
  counts: number[];
  total: number;
}

export function histogramOf(metricsText: string, name: string): Buckets {
  const le: number[] = [];
  const counts: number[] = [];
  let total = 0;
  for (const line of metricsText.split('\n')) {
    const bucket = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`).exec(line);
    if (bucket) {
      le.push(bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1]));
      counts.push(Number(bucket[2]));
    }
    const count = new RegExp(`^${name}_count (\\d+)`).exec(line);
    if (count) total = Number(count[1]);
  }
  return { le, counts, total };
}

/** The observations between two scrapes of the same histogram. */
export function histogramDelta(after: Buckets, before: Buckets): Buckets {
  return { le: after.le, counts: after.counts.map((c, i) => c - (before.counts[i] ?? 0)), total: after.total - before.total };
}

/** Quantile from cumulative buckets, interpolated linearly inside the bucket as histogram_quantile does. */
export function quantile(h: Buckets, q: number): number {
  const rank = q * h.total;
  let prevLe = 0;
  let prevCount = 0;
  for (let i = 0; i < h.le.length; i++) {
    const le = h.le[i] as number;
    const count = h.counts[i] as number;
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
