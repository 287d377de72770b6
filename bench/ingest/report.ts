import type { Result } from 'autocannon';
import type { CpuReport } from '../lib/cpu.js';
import { fixed, fmt, median } from '../lib/stats.js';

export interface RouteRun {
  key: string;
  result: Result;
  cpu: CpuReport;
  /** Unscored events: the most seen while loading (sampled every 2 s), and when the load stopped. */
  depthMax: number;
  depthEnd: number;
  /** Seconds the worker took to score the backlog left when the load stopped. */
  drainSeconds: number;
}

export interface LatencyRun {
  rate: number;
  duration: number;
  run: RouteRun;
  observations: number;
  p50: number;
  p99: number;
}

export interface IngestReport {
  header: string;
  duration: number;
  rounds: number;
  connections: number;
  scoring: boolean;
  routes: Array<{ key: string; name: string }>;
  runs: Map<string, RouteRun[]>;
  latency: LatencyRun | null;
  counts: { events: number; leads: number; aliases: number; audit: number };
  seededLeads: number;
  loadBefore: string;
  loadAfter: string;
}

const rps = (r: RouteRun) => r.result.requests.average;
/** The database cores of a run: the backends of the route's own database. */
const pgCores = (r: RouteRun) => (r.key === 'naive' ? (r.cpu['pg naive'] ?? 0) : (r.cpu['pg app'] ?? 0));
const serverCores = (r: RouteRun) => (r.key === 'naive' ? (r.cpu.naive ?? 0) : (r.cpu.server ?? 0));
const cores = (values: number[]) => `${fixed(median(values))} (${values.map((v) => fixed(v)).join(' / ')})`;

function routeTable(rep: IngestReport): string[] {
  return [
    `| route | req/s (median of ${rep.rounds}) | req/s per round | p50 ms | p99 ms | non-2xx | errors | server CPU, cores | its PostgreSQL backends, cores | PG shared processes | other databases' backends | machine busy, cores |`,
    '|---|---:|---|---:|---:|---:|---:|---|---|---:|---:|---:|',
    ...rep.routes.map(({ key, name }) => {
      const rs = rep.runs.get(key) ?? [];
      const sum = (f: (r: RouteRun) => number) => rs.reduce((acc, r) => acc + f(r), 0);
      return `| ${name} | ${fmt(median(rs.map(rps)))} | ${rs.map((r) => fmt(rps(r))).join(' / ')} | ${median(rs.map((r) => r.result.latency.p50))} | ${median(rs.map((r) => r.result.latency.p99))} | ${sum((r) => r.result.non2xx)} | ${sum((r) => r.result.errors + r.result.timeouts)} | ${cores(rs.map(serverCores))} | ${cores(rs.map(pgCores))} | ${fixed(median(rs.map((r) => r.cpu['pg shared'] ?? 0)))} | ${fixed(median(rs.map((r) => r.cpu['pg other'] ?? 0)))} | ${fixed(median(rs.map((r) => r.cpu.machineBusyCores)))} |`;
    }),
  ];
}

function ratioLines(rep: IngestReport): string[] {
  const lines: string[] = [];
  const pairs = [
    ['events', 'noop'],
    ['events', 'naive'],
    ['naive', 'noop'],
  ] as const;
  for (const [a, b] of pairs) {
    const ra = rep.runs.get(a);
    const rb = rep.runs.get(b);
    if (!ra?.length || !rb?.length) continue;
    const ratios = ra.map((r, i) => rps(r) / rps(rb[i] as RouteRun));
    lines.push(`- ${a} / ${b}: **${fixed(median(ratios), 3)}** (rounds: ${ratios.map((x) => fixed(x, 3)).join(', ')})`);
  }
  return lines;
}

function scoringTable(rep: IngestReport): string[] {
  const rs = rep.runs.get('events') ?? [];
  if (!rep.scoring || rs.length === 0) return ['scoring worker off (BENCH_SCORING=false): no queue figures'];
  return [
    '| round | events accepted | queue depth max (2 s samples) | queue depth at end | drain after load, s | scored/s during load | PG CPU / server CPU |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...rs.map((r, i) => {
      const scored = (r.result['2xx'] - r.depthEnd) / rep.duration;
      return `| ${i + 1} | ${fmt(r.result['2xx'])} | ${fmt(r.depthMax)} | ${fmt(r.depthEnd)} | ${fixed(r.drainSeconds, 1)} | ${fmt(scored)} | ${fixed(pgCores(r))} / ${fixed(serverCores(r))} |`;
    }),
  ];
}

function latencyLines(l: LatencyRun | null): string[] {
  if (!l) return [];
  const r = l.run;
  return [
    `event→score latency at ${fmt(l.rate)} events/s for ${l.duration} s (half the median sustained rate; achieved ${fmt(rps(r))} req/s, ` +
      `p99 HTTP ${r.result.latency.p99} ms): **p50 ${fixed(l.p50 * 1000, 1)} ms, p99 ${fixed(l.p99 * 1000, 1)} ms** ` +
      `(${fmt(l.observations)} observations of event_to_score_latency_seconds; queue depth max ${fmt(r.depthMax)}, ` +
      `drain after ${fixed(r.drainSeconds, 1)} s; PG ${fixed(pgCores(r))} cores, server ${fixed(serverCores(r))} cores)`,
  ];
}

export function printIngestReport(rep: IngestReport): void {
  const accepted = (rep.runs.get('events') ?? []).reduce((a, r) => a + r.result['2xx'], 0);
  const out = [
    '',
    rep.header,
    `${rep.connections} connections, ${rep.rounds} rounds of ${rep.duration} s per route (after a 3 s warm-up each); load average ${rep.loadBefore} before, ${rep.loadAfter} after`,
    '',
    ...routeTable(rep),
    '',
    'Ratios (per round, median):',
    ...ratioLines(rep),
    '',
    'Scoring during `POST /events` rounds:',
    '',
    ...scoringTable(rep),
    '',
    ...latencyLines(rep.latency),
    '',
    `database: ${fmt(rep.counts.events)} events (measured 2xx of /events rounds: ${fmt(accepted)}; warm-up and latency phase on top), ` +
      `${fmt(rep.counts.leads)} leads (${fmt(rep.counts.leads - rep.seededLeads)} created during the run), ${fmt(rep.counts.aliases)} aliases, ${fmt(rep.counts.audit)} audit rows`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}
