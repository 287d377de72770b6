/**
 * npm run bench:triggers:delivery — event→webhook delivery latency next to event→score latency
 * (issue 12), on the real server (bench/server.ts, worker and delivery sender on,
 * ALLOW_PRIVATE_WEBHOOKS=true) with one active pattern trigger whose webhook is a receiver in this
 * process (bench/lib/receiver.ts):
 *  S. sustained rate: POST /events as fast as BENCH_CONNECTIONS connections go for BENCH_SUSTAIN_S s;
 *     sustained = min(accepted/s, scored/s over the same window) — ingest the worker keeps up with;
 *  H. half that rate for BENCH_DURATION s: event→score p50/p99 from the server's
 *     event_to_score_latency_seconds histogram (ingestion received_at → score commit), and
 *     event→webhook p50/p99 from the receiver: arrival time − the event's `occurred_at`, which the
 *     bench sets to the time it builds the request (so it also counts the HTTP ingest).
 * The trigger (pattern, `page_view` ≥ 1 in 1 s) fires for most page views: at most once per lead per
 * second. Each delivery's first arrival counts (the outbox is at-least-once).
 */
import pg from 'pg';
import { createCpuMeter, type CpuReport } from '../lib/cpu.js';
import { profileLines } from '../lib/cpuprofile.js';
import { appDatabase, dbName, queueDepth, seedLeads, waitForDrain } from '../lib/db.js';
import { getText, load } from '../lib/load.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { startReceiver, type Arrival } from '../lib/receiver.js';
import { fixed, fmt, histogramDelta, histogramOf, loadAverage, quantile, runHeader } from '../lib/stats.js';

const env = process.env;
const LEADS = Number(env.BENCH_LEADS ?? 20_000);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const SUSTAIN_S = Number(env.BENCH_SUSTAIN_S ?? 20);
const DURATION = Number(env.BENCH_DURATION ?? 30);
const TYPES = ['page_view', 'page_view', 'page_view', 'page_view', 'page_view', 'page_view', 'email_open', 'email_open', 'pricing_view', 'form_submit'];

const header = runHeader('npm run bench:triggers:delivery', { BENCH_LEADS: LEADS, BENCH_CONNECTIONS: CONNECTIONS, BENCH_SUSTAIN_S: SUSTAIN_S, BENCH_DURATION: DURATION });
const name = dbName('leadvibe_bench_trigger_delivery');
const url = await appDatabase(name);
const client = new pg.Client({ connectionString: url });
await client.connect();
const receiver = await startReceiver();
const server = await startAppServer(url, { ALLOW_PRIVATE_WEBHOOKS: 'true' }, 'trigger-delivery');
const { port, authorization, orgId, unitId } = server.ready;
await seedLeads(url, orgId, unitId, LEADS);
await client.query(
  `insert into triggers (org_id, unit_id, kind, name, window_seconds, conditions, webhook_url)
   values ($1, $2, 'pattern', 'bench: a page view', 1, '[{"event_type":"page_view","min_count":1}]', $3)`,
  [orgId, unitId, receiver.url],
);

let n = 0;
/** A POST /events body stamped with the time it is built (occurred_at), for a seeded lead. */
const body = () =>
  JSON.stringify({
    aliases: [{ alias_kind: 'email', raw_value: `lead-${1 + Math.floor(Math.random() * LEADS)}@bench.io` }],
    event_type: TYPES[n++ % TYPES.length],
    occurred_at: new Date().toISOString(),
    metadata: { path: `/p/${n % 50}` },
  });

/** Open outbox rows (pending or being sent). */
async function openDeliveries(): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`/* bench */ select count(*)::int as n from deliveries where status in ('pending', 'sending')`);
  return rows[0]?.n ?? 0;
}
async function settle(): Promise<void> {
  await waitForDrain(client);
  for (let i = 0; i < 1200 && (await openDeliveries()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

// S. The sustained rate (with the CPU of the server and its database; BENCH_CPU_PROF=<dir>: a server profile).
const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
const stopCpu = cpu.start();
if (env.BENCH_CPU_PROF) await server.ask({ cmd: 'profile-start' });
const s = await load({ port, path: '/events', authorization, connections: CONNECTIONS, duration: SUSTAIN_S, body });
const sCpu: CpuReport = stopCpu();
cpu.stop();
const profile = env.BENCH_CPU_PROF ? profileLines((await server.ask<{ file: string }>({ cmd: 'profile-stop' })).file, 'Server CPU profile of S') : [];
const leftAfterS = await queueDepth(client);
const accepted = s.requests.total - s.non2xx;
const sustained = Math.min(accepted, accepted - leftAfterS) / SUSTAIN_S;
await settle();

// H. Half of it.
const rate = Math.max(1, Math.round(sustained / 2));
const scoreBefore = histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds');
const startedAt = Date.now();
const h = await load({ port, path: '/events', authorization, connections: CONNECTIONS, duration: DURATION, body, rate });
const depthEnd = await queueDepth(client);
await settle();
await new Promise((r) => setTimeout(r, 500));
const score = histogramDelta(histogramOf(await getText(port, '/metrics'), 'event_to_score_latency_seconds'), scoreBefore);

/** First arrival of each delivery of an event sent during H: arrival − the event's occurred_at. */
function webhookLatencies(arrivals: Arrival[]): number[] {
  const first = new Map<string, number>();
  for (const a of arrivals) {
    const sent = Date.parse(a.payload.event?.occurred_at ?? '');
    if (!(sent >= startedAt) || first.has(a.deliveryId)) continue;
    first.set(a.deliveryId, a.arrivedAt - sent);
  }
  return [...first.values()].sort((x, y) => x - y);
}
const exact = (v: number[], q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? Number.NaN;
const hook = webhookLatencies(receiver.arrivals);
const { rows } = await client.query<{ status: string; n: number }>(`/* bench */ select status, count(*)::int as n from deliveries group by status order by status`);

await server.stop();
await receiver.close();
await client.end();
removeLogs(server.logFile);
process.stdout.write(
  [
    '',
    header,
    `S: ${fmt(accepted)} events accepted in ${SUSTAIN_S} s (${fmt(accepted / SUSTAIN_S)}/s), ${fmt(leftAfterS)} unscored when the load stopped → sustained ${fmt(sustained)} events/s`,
    `CPU during S: server ${fixed(sCpu.server ?? 0)} cores, its PostgreSQL backends ${fixed(sCpu['pg app'] ?? 0)}, machine busy ${fixed(sCpu.machineBusyCores)}`,
    `H: ${fmt(rate)} events/s for ${DURATION} s (achieved ${fmt(h.requests.average)} req/s, ${h.non2xx} non-2xx; queue depth when the load stopped ${fmt(depthEnd)})`,
    `  event→score   (server histogram, ${fmt(score.total)} observations): p50 ${fixed(quantile(score, 0.5) * 1000, 1)} ms, **p99 ${fixed(quantile(score, 0.99) * 1000, 1)} ms**`,
    `  event→webhook (receiver, ${fmt(hook.length)} deliveries, first arrival): p50 ${fixed(exact(hook, 0.5), 1)} ms, **p99 ${fixed(exact(hook, 0.99), 1)} ms**, max ${fixed(exact(hook, 1 - 1e-9), 0)} ms`,
    `deliveries by status (whole run): ${rows.map((r) => `${r.status} ${fmt(r.n)}`).join(', ')}; receiver got ${fmt(receiver.arrivals.length)} POSTs`,
    `load average now ${loadAverage()}`,
    '',
    ...profile,
    '',
  ].join('\n'),
);
