/**
 * npm run bench:scoring — the scoring worker of the server as users run it, against the ingest rate
 * of POST /events/batch (see bench/README.md):
 *  A. a server with the worker off ingests BENCH_BACKLOG events (email aliases over BENCH_LEADS
 *     known leads plus BENCH_NEW_LEADS new ones) as /events/batch requests of 1000,
 *     BENCH_BATCH_CONCURRENCY at a time → batch ingest events/s; `events` is analyzed with that
 *     backlog in it (autovacuum after a bulk load), then a server with the worker on (default
 *     configuration) drains it → worker events/s;
 *  L. with the queue empty and `events` analyzed so (autovacuum's view in steady state), POST /events
 *     at BENCH_RATE events/s for BENCH_DURATION s → p50/p99 of event_to_score_latency_seconds;
 *  B. a second backlog of the same size, ingested the same way but drained with the statistics of
 *     the empty queue (the steady state meeting a burst) → worker events/s over at most
 *     BENCH_DRAIN_TIMEOUT s. And no (event, ruleset) is scored twice.
 * The old in-process drain of SQL-inserted events is `npm run bench:scoring:direct`.
 */
import pg from 'pg';
import { createCpuMeter, type CpuReport } from '../lib/cpu.js';
import { profileLines } from '../lib/cpuprofile.js';
import { appDatabase, dbName, drainWithin, queueDepth, seedLeads, waitForDrain } from '../lib/db.js';
import { eventBodies, getText, load } from '../lib/load.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, fmt, histogramDelta, histogramOf, loadAverage, quantile, runHeader } from '../lib/stats.js';

const env = process.env;
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const NEW_SHARE = Number(env.BENCH_NEW_LEADS ?? 0.1);
const BACKLOG = Number(env.BENCH_BACKLOG ?? 100_000);
const BATCH_CONCURRENCY = Number(env.BENCH_BATCH_CONCURRENCY ?? 4);
const RATE = Number(env.BENCH_RATE ?? 500);
const DURATION = Number(env.BENCH_DURATION ?? 30);
const DRAIN_TIMEOUT = Number(env.BENCH_DRAIN_TIMEOUT ?? 300);
const PHASES = env.BENCH_PHASES ?? 'A,L,B';

const header = runHeader('npm run bench:scoring', {
  BENCH_LEADS: LEADS, BENCH_NEW_LEADS: NEW_SHARE, BENCH_BACKLOG: BACKLOG, BENCH_BATCH_CONCURRENCY: BATCH_CONCURRENCY,
  BENCH_RATE: RATE, BENCH_DURATION: DURATION, BENCH_DRAIN_TIMEOUT: DRAIN_TIMEOUT, BENCH_PHASES: PHASES,
});
const name = dbName('leadvibe_bench_scoring');
const url = await appDatabase(name);
const client = new pg.Client({ connectionString: url });
await client.connect();
const bodies = eventBodies(LEADS, NEW_SHARE);
const logs: string[] = [];
const cpuOf = (r: CpuReport) =>
  `server ${fixed(r.server ?? 0)} cores, its PostgreSQL backends ${fixed(r['pg app'] ?? 0)}, other databases ${fixed(r['pg other'] ?? 0)}, machine busy ${fixed(r.machineBusyCores)}`;
/** BENCH_CPU_PROF=<dir>: the server's CPU profile of each drain, summarized after the table. */
const profiles: string[][] = [];
const lines: string[] = ['', header, '| figure | events/s | events | seconds | CPU |', '|---|---:|---:|---:|---|'];

/** Ingests a backlog through POST /events/batch on a server with the worker off; answers events/s. */
async function ingestBacklog(label: string, seed: boolean): Promise<number> {
  const server = await startAppServer(url, { BENCH_SCORING: 'false' }, `scoring-ingest-${label}`);
  logs.push(server.logFile);
  if (seed) await seedLeads(url, server.ready.orgId, server.ready.unitId, LEADS);
  const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
  let sent = 0;
  let accepted = 0;
  const sendBatches = async () => {
    while (sent < BACKLOG) {
      const n = Math.min(1000, BACKLOG - sent);
      sent += n;
      const res = await fetch(`http://127.0.0.1:${server.ready.port}/events/batch`, {
        method: 'POST',
        headers: { authorization: server.ready.authorization, 'content-type': 'application/json' },
        body: `{"events":[${Array.from({ length: n }, () => bodies.next()).join(',')}]}`,
      });
      if (res.status !== 202) throw new Error(`/events/batch: ${res.status} ${await res.text()}`);
      accepted += ((await res.json()) as { accepted: number }).accepted;
    }
  };
  const stopCpu = cpu.start();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: BATCH_CONCURRENCY }, () => sendBatches()));
  const seconds = (performance.now() - t0) / 1000;
  const used = stopCpu();
  cpu.stop();
  await server.stop();
  lines.push(`| ${label}: \`POST /events/batch\` ingest, worker off (1000 per request, ${BATCH_CONCURRENCY} at a time) | ${fmt(accepted / seconds)} | ${fmt(accepted)} | ${fixed(seconds, 1)} | ${cpuOf(used)} |`);
  return accepted / seconds;
}

/** A server with the worker on drains the queue (at most `timeout` s); answers it, still running, and events/s. */
async function drain(label: string, timeout: number) {
  const server = await startAppServer(url, {}, `scoring-drain-${label}`);
  logs.push(server.logFile);
  const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
  const stopCpu = cpu.start();
  if (env.BENCH_CPU_PROF) await server.ask({ cmd: 'profile-start' });
  // The worker started with the server: count from the first look at the queue.
  const depth0 = await queueDepth(client);
  const { seconds, left } = await drainWithin(client, timeout);
  const used = stopCpu();
  cpu.stop();
  if (env.BENCH_CPU_PROF) profiles.push(profileLines((await server.ask<{ file: string }>({ cmd: 'profile-stop' })).file, `Server CPU profile of drain ${label}`));
  const rate = (depth0 - left) / seconds;
  const note = left === 0 ? '' : `; **${fmt(left)} still unscored after ${fixed(seconds, 0)} s**`;
  lines.push(`| ${label}: worker drain (default SCORING_* settings${note}) | ${fmt(rate)} | ${fmt(depth0 - left)} | ${fixed(seconds, 1)} | ${cpuOf(used)} |`);
  return { server, rate };
}

const notes: string[] = [];
if (PHASES.includes('A')) {
  const ingestRate = await ingestBacklog('A', true);
  await client.query('/* bench */ vacuum analyze');
  const { server, rate } = await drain('A (events analyzed with the backlog in it)', 3600);
  notes.push(`A: worker drain / batch ingest = **${fixed(rate / ingestRate, 3)}**`);
  // Steady state: the queue is empty when autovacuum analyzes.
  await client.query('/* bench */ vacuum analyze');
  if (PHASES.includes('L')) {
    const { port, authorization } = server.ready;
    const before = histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds');
    const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
    const stopCpu = cpu.start();
    const r = await load({ port, path: '/events', authorization, connections: 50, duration: DURATION, body: bodies.next, rate: RATE });
    const used = stopCpu();
    cpu.stop();
    const depthEnd = await queueDepth(client);
    await waitForDrain(client);
    await new Promise((res) => setTimeout(res, 300));
    const h = histogramDelta(histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds'), before);
    notes.push(
      `L: event→score at ${fmt(RATE)} events/s for ${DURATION} s (achieved ${fmt(r.requests.average)} req/s, ${r.non2xx} non-2xx): ` +
        `**p50 ${fixed(quantile(h, 0.5) * 1000, 1)} ms, p99 ${fixed(quantile(h, 0.99) * 1000, 1)} ms** (${fmt(h.total)} observations; ` +
        `queue depth when the load stopped ${fmt(depthEnd)}; ${cpuOf(used)})`,
    );
  }
  await server.stop();
}
if (PHASES.includes('B')) {
  const ingestRate = await ingestBacklog('B', !PHASES.includes('A'));
  const { server, rate } = await drain('B (events analyzed with the queue empty)', DRAIN_TIMEOUT);
  notes.push(`B: worker drain / batch ingest = **${fixed(rate / ingestRate, 3)}**`);
  await server.stop(5000);
}
const { rows } = await client.query<{ n: number }>(
  '/* bench */ select count(*)::int as n from (select 1 from event_scores group by event_id, ruleset_id having count(*) > 1) d',
);
await client.end();
removeLogs(...logs);
notes.push(`(event, ruleset) pairs scored more than once: ${rows[0]?.n ?? 0}; load average now ${loadAverage()}`);
process.stdout.write([...lines, '', ...notes, '', ...profiles.flatMap((p) => [...p, ''])].join('\n'));
