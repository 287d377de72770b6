/**
 * npm run bench:scoring — the scoring worker of the server as users run it, against the ingest rate
 * of POST /events/batch (see bench/README.md):
 *  1. a server with the worker off ingests BENCH_BACKLOG events (100k, email aliases over
 *     BENCH_LEADS known leads plus BENCH_NEW_LEADS new ones) as /events/batch requests of 1000,
 *     BENCH_BATCH_CONCURRENCY at a time → batch ingest events/s;
 *  2. a server with the worker on (default configuration) drains that backlog → worker events/s;
 *  3. that server takes POST /events at BENCH_RATE events/s for BENCH_DURATION s → p50/p99 of
 *     event_to_score_latency_seconds; and no (event, ruleset) is scored twice.
 * The old in-process drain of SQL-inserted events is `npm run bench:scoring:direct`.
 */
import pg from 'pg';
import { createCpuMeter, type CpuReport } from '../lib/cpu.js';
import { dbName, freshDatabase, queueDepth, seedLeads, waitForDrain } from '../lib/db.js';
import { eventBodies, getText, load } from '../lib/load.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, fmt, histogramDelta, histogramOf, loadAverage, quantile, runHeader } from '../lib/stats.js';

const env = process.env;
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const NEW_SHARE = Number(env.BENCH_NEW_LEADS ?? 0.1);
const BACKLOG = Number(env.BENCH_BACKLOG ?? 100_000);
const BATCH = 1000;
const BATCH_CONCURRENCY = Number(env.BENCH_BATCH_CONCURRENCY ?? 4);
const RATE = Number(env.BENCH_RATE ?? 500);
const DURATION = Number(env.BENCH_DURATION ?? 30);
const VACUUM = env.BENCH_VACUUM !== 'off';

const header = runHeader('npm run bench:scoring', {
  BENCH_LEADS: LEADS, BENCH_NEW_LEADS: NEW_SHARE, BENCH_BACKLOG: BACKLOG, BENCH_BATCH_CONCURRENCY: BATCH_CONCURRENCY,
  BENCH_RATE: RATE, BENCH_DURATION: DURATION, BENCH_VACUUM: String(VACUUM),
});
const name = dbName('leadvibe_bench_scoring');
const url = await freshDatabase(name);
const client = new pg.Client({ connectionString: url });
await client.connect();
const bodies = eventBodies(LEADS, NEW_SHARE);
const cpuOf = (r: CpuReport, who: string) => `server ${fixed(r[who] ?? 0)} cores, its PostgreSQL backends ${fixed(r['pg app'] ?? 0)} cores, other databases ${fixed(r['pg other'] ?? 0)}, machine busy ${fixed(r.machineBusyCores)}`;

// 1. The backlog through POST /events/batch, worker off.
const ingestServer = await startAppServer(url, { BENCH_SCORING: 'false' }, 'scoring-ingest');
await seedLeads(url, ingestServer.ready.orgId, ingestServer.ready.unitId, LEADS);
const ingestCpu = createCpuMeter({ processes: { server: ingestServer.pid }, databases: { app: name } });
let sent = 0;
let accepted = 0;
async function sendBatches(): Promise<void> {
  while (sent < BACKLOG) {
    const n = Math.min(BATCH, BACKLOG - sent);
    sent += n;
    const events = Array.from({ length: n }, () => bodies.next());
    const res = await fetch(`http://127.0.0.1:${ingestServer.ready.port}/events/batch`, {
      method: 'POST',
      headers: { authorization: ingestServer.ready.authorization, 'content-type': 'application/json' },
      body: `{"events":[${events.join(',')}]}`,
    });
    if (res.status !== 202) throw new Error(`/events/batch: ${res.status} ${await res.text()}`);
    accepted += ((await res.json()) as { accepted: number }).accepted;
  }
}
const stopIngestCpu = ingestCpu.start();
let t0 = performance.now();
await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, () => sendBatches()));
const ingestSeconds = (performance.now() - t0) / 1000;
const ingestCpuUsed = stopIngestCpu();
ingestCpu.stop();
await ingestServer.stop();
// Autovacuum is off on the CI PostgreSQL; a live table would have been analyzed by now.
if (VACUUM) await client.query('/* bench */ vacuum analyze');

// 2. A server with the worker on (as `npm start`) drains it.
const drainServer = await startAppServer(url, {}, 'scoring-drain');
const cpu = createCpuMeter({ processes: { server: drainServer.pid }, databases: { app: name } });
const stopDrainCpu = cpu.start();
t0 = performance.now();
const depth0 = await queueDepth(client);
await waitForDrain(client);
const drainSeconds = (performance.now() - t0) / 1000;
const drainCpu = stopDrainCpu();

// 3. Latency at a fixed rate of POST /events.
const { port, authorization } = drainServer.ready;
const before = histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds');
const stopRateCpu = cpu.start();
const r = await load({ port, path: '/events', authorization, connections: 50, duration: DURATION, body: bodies.next, rate: RATE });
const rateCpu = stopRateCpu();
const depthEnd = await queueDepth(client);
await waitForDrain(client);
await new Promise((res) => setTimeout(res, 300));
const h = histogramDelta(histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds'), before);
const { rows } = await client.query<{ n: number }>(
  '/* bench */ select count(*)::int as n from (select 1 from event_scores group by event_id, ruleset_id having count(*) > 1) d',
);
cpu.stop();
await client.end();
await drainServer.stop();
removeLogs(ingestServer.logFile, drainServer.logFile);

const ingestRate = accepted / ingestSeconds;
const drainRate = depth0 / drainSeconds;
process.stdout.write(
  [
    '',
    header,
    `| figure | events/s | seconds | CPU |`,
    '|---|---:|---:|---|',
    `| \`POST /events/batch\` ingest, worker off (${fmt(accepted)} events, ${BATCH} per request, ${BATCH_CONCURRENCY} at a time) | ${fmt(ingestRate)} | ${fixed(ingestSeconds, 1)} | ${cpuOf(ingestCpuUsed, 'server')} |`,
    `| worker drain of that backlog (${fmt(depth0)} events, default SCORING_* settings) | ${fmt(drainRate)} | ${fixed(drainSeconds, 1)} | ${cpuOf(drainCpu, 'server')} |`,
    '',
    `worker drain / batch ingest: **${fixed(drainRate / ingestRate, 3)}**`,
    `event→score at ${fmt(RATE)} events/s for ${DURATION} s (achieved ${fmt(r.requests.average)} req/s, ${r.non2xx} non-2xx): ` +
      `**p50 ${fixed(quantile(h, 0.5) * 1000, 1)} ms, p99 ${fixed(quantile(h, 0.99) * 1000, 1)} ms** (${fmt(h.total)} observations; ` +
      `queue depth when the load stopped ${fmt(depthEnd)}; ${cpuOf(rateCpu, 'server')})`,
    `(event, ruleset) pairs scored more than once: ${rows[0]?.n ?? 0}; load average now ${loadAverage()}`,
    '',
  ].join('\n'),
);
