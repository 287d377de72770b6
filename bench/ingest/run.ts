/**
 * npm run bench:ingest — POST /events as users run it (scoring worker on, default configuration,
 * 100k leads known by email, a share of new ones), against two references in the same run: the
 * no-database route of the same server and a naive server doing one INSERT per request. Routes take
 * turns round after round. Reports req/s and ratios, CPU of the server and of PostgreSQL, whether
 * scoring kept up (queue depth, drain time), and event→score latency at half the sustained rate.
 * Knobs (see bench/README.md): BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_LEADS,
 * BENCH_NEW_LEADS, BENCH_ROUTES, BENCH_SCORING, BENCH_LATENCY_RATE, BENCH_LATENCY_DURATION, BENCH_VACUUM.
 */
import type { Result } from 'autocannon';
import pg from 'pg';
import { createCpuMeter, type CpuReport } from '../lib/cpu.js';
import { appDatabase, dbName, emptyDatabase, queueDepth, seedLeads, waitForDrain } from '../lib/db.js';
import { eventBodies, getText, load } from '../lib/load.js';
import { removeLogs, startAppServer, startNaiveServer } from '../lib/processes.js';
import { histogramDelta, histogramOf, loadAverage, median, quantile, runHeader } from '../lib/stats.js';
import { printIngestReport, type LatencyRun, type RouteRun } from './report.js';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 20);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const NEW_SHARE = Number(env.BENCH_NEW_LEADS ?? 0.1);
const SCORING = env.BENCH_SCORING !== 'false';
const LATENCY_DURATION = Number(env.BENCH_LATENCY_DURATION ?? 20);
const VACUUM = env.BENCH_VACUUM !== 'off';
const WANTED = (env.BENCH_ROUTES ?? 'noop,naive,events').split(',');

const header = runHeader('npm run bench:ingest', {
  BENCH_DURATION: DURATION, BENCH_ROUNDS: ROUNDS, BENCH_CONNECTIONS: CONNECTIONS, BENCH_LEADS: LEADS,
  BENCH_NEW_LEADS: NEW_SHARE, BENCH_SCORING: String(SCORING), BENCH_ROUTES: WANTED.join(','), BENCH_VACUUM: String(VACUUM),
});
const names = { app: dbName('leadvibe_bench_ingest'), naive: dbName('leadvibe_bench_naive') };
const appUrl = await appDatabase(names.app);
const server = await startAppServer(appUrl, { BENCH_SCORING: String(SCORING) });
const naive = await startNaiveServer(await emptyDatabase(names.naive));
const stopAll = () => Promise.all([server.stop(), naive.stop()]);
process.on('uncaughtException', (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  void stopAll().then(() => process.exit(1));
});
const { port, authorization, orgId, unitId } = server.ready;
await seedLeads(appUrl, orgId, unitId, LEADS);
const client = new pg.Client({ connectionString: appUrl });
await client.connect();
const cpu = createCpuMeter({ processes: { server: server.pid, naive: naive.pid }, databases: { app: names.app, naive: names.naive } });
const bodies = eventBodies(LEADS, NEW_SHARE);

const ROUTES = [
  { key: 'noop', name: 'no database (`POST /bench/noop`, same server)', port, path: '/bench/noop' },
  { key: 'noop-auth', name: 'no database, Basic auth (`POST /bench/noop-auth`)', port, path: '/bench/noop-auth' },
  { key: 'naive', name: 'naive server: one autocommit INSERT per request', port: naive.ready.port, path: '/events' },
  { key: 'events', name: '`POST /events`', port, path: '/events' },
].filter((r) => WANTED.includes(r.key));

/** After the load: the worker's backlog, then (as autovacuum would on a live table) vacuum. */
async function settle(): Promise<{ depthEnd: number; drainSeconds: number }> {
  const depthEnd = SCORING ? await queueDepth(client) : 0;
  const drainSeconds = SCORING ? await waitForDrain(client) : 0;
  if (VACUUM) await client.query('/* bench */ vacuum analyze');
  return { depthEnd, drainSeconds };
}

async function measure(route: (typeof ROUTES)[number], duration: number, rate?: number): Promise<RouteRun> {
  const depths: number[] = [];
  const sampler = route.key === 'events' && SCORING ? setInterval(() => void queueDepth(client).then((d) => depths.push(d)), 2000) : null;
  const stopCpu = cpu.start();
  const result: Result = await load({ port: route.port, path: route.path, authorization, connections: CONNECTIONS, duration, body: bodies.next, rate });
  const cpuUsed: CpuReport = stopCpu();
  if (sampler) clearInterval(sampler);
  const settled = route.key === 'events' ? await settle() : { depthEnd: 0, drainSeconds: 0 };
  return { key: route.key, result, cpu: cpuUsed, depthMax: Math.max(0, ...depths, settled.depthEnd), ...settled };
}

const loadBefore = loadAverage();
for (const route of ROUTES) await measure(route, 3); // warm-up
const runs = new Map<string, RouteRun[]>(ROUTES.map((r) => [r.key, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const route of ROUTES) {
    runs.get(route.key)?.push(await measure(route, DURATION));
    process.stderr.write(`round ${round + 1} ${route.key} done (load ${loadAverage()})\n`);
  }
}

// Latency at half the sustained rate: the rate /events held with the queue bounded.
let latency: LatencyRun | null = null;
const eventRuns = runs.get('events') ?? [];
if (SCORING && eventRuns.length > 0) {
  const sustained = eventRuns.map((r) => Math.min(r.result.requests.average, (r.result['2xx'] - r.depthEnd) / DURATION));
  const rate = Number(env.BENCH_LATENCY_RATE ?? 0) || Math.max(1, Math.round(median(sustained) / 2));
  const before = histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds');
  const run = await measure(ROUTES.find((r) => r.key === 'events') as (typeof ROUTES)[number], LATENCY_DURATION, rate);
  await new Promise((r) => setTimeout(r, 300)); // the last pass observes its latencies just after its commit
  const h = histogramDelta(histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds'), before);
  latency = { rate, duration: LATENCY_DURATION, run, observations: h.total, p50: quantile(h, 0.5), p99: quantile(h, 0.99) };
}

const { rows } = await client.query<{ events: number; leads: number; aliases: number; audit: number }>(
  `/* bench */ select (select count(*)::int from events) as events, (select count(*)::int from leads) as leads,
     (select count(*)::int from lead_aliases) as aliases, (select count(*)::int from audit_logs) as audit`,
);
await client.end();
cpu.stop();
await stopAll();
removeLogs(server.logFile, naive.logFile);
printIngestReport({
  header, duration: DURATION, rounds: ROUNDS, connections: CONNECTIONS, scoring: SCORING, routes: ROUTES, runs, latency,
  counts: rows[0] ?? { events: 0, leads: 0, aliases: 0, audit: 0 }, seededLeads: LEADS, loadBefore, loadAfter: loadAverage(),
});
