/**
 * npm run bench:ingest — POST /events on real PostgreSQL vs routes answering 202 without the
 * database, 50 connections each, in the same run. See bench/README.md.
 *   BENCH_DURATION (s per route and round, default 10)  BENCH_ROUNDS (default 3)
 *   BENCH_CONNECTIONS (default 50)  BENCH_LEADS (default 10000)
 */
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { freshDatabase, startServer } from '../bench-db.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LEADS = Number(process.env.BENCH_LEADS ?? 10_000);

const url = await freshDatabase('leadvibe_bench_ingest');
const ready = await startServer(url);
process.on('uncaughtException', (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  void ready.stop().then(() => process.exit(1));
});
const base = `http://127.0.0.1:${ready.port}`;
const headers = { authorization: ready.authorization, 'content-type': 'application/json' };

let n = 0;
function eventBody(): string {
  n++;
  const lead = Math.floor(Math.random() * LEADS);
  return JSON.stringify({
    aliases: [{ alias_kind: 'email', raw_value: `lead-${lead}@bench.io` }],
    event_type: n % 5 === 0 ? 'email_open' : 'page_view',
    metadata: { path: `/p/${n % 50}`, utm_source: 'bench' },
  });
}

function run(path: string, duration: number): Promise<Result> {
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: 'POST', path, headers, setupRequest: (req) => ({ ...req, body: eventBody() }) }],
  });
}

const ROUTES = [
  { name: 'no database, no auth (POST /bench/noop)', path: '/bench/noop' },
  { name: 'no database, Basic auth (POST /bench/noop-auth)', path: '/bench/noop-auth' },
  { name: 'POST /events (group commit)', path: '/events' },
].filter((r) => !process.env.BENCH_ROUTES || process.env.BENCH_ROUTES.split(',').some((p) => r.path.endsWith(p)));

// The routes take turns, round after round, so a burst of load from elsewhere on the shared
// machine hits one round of each rather than all of one route; ratios are taken per round.
const results = new Map<string, Result[]>(ROUTES.map((r) => [r.path, []]));
for (const route of ROUTES) await run(route.path, 3); // warm-up
let ingested2xx = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const route of ROUTES) {
    const r = await run(route.path, DURATION);
    results.get(route.path)?.push(r);
    if (route.path === '/events') ingested2xx += r['2xx'];
  }
}

const client = new pg.Client({ connectionString: url });
await client.connect();
const { rows: counted } = await client.query<{ events: number; leads: number }>(
  'select (select count(*)::int from events) as events, (select count(*)::int from leads) as leads',
);
await client.end();
await ready.stop();

const median = (values: number[]) => {
  const v = [...values].sort((x, y) => x - y);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
};
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const runsOf = (path: string) => results.get(path) ?? [];
const lines = [
  `| route | req/s (median of ${ROUNDS}) | req/s per round | p50 ms | p99 ms | non-2xx | errors |`,
  `|---|---:|---|---:|---:|---:|---:|`,
  ...ROUTES.map(({ name, path }) => {
    const rs = runsOf(path);
    const sum = (f: (r: Result) => number) => rs.reduce((acc, r) => acc + f(r), 0);
    return `| ${name} | ${fmt(median(rs.map((r) => r.requests.average)))} | ${rs.map((r) => fmt(r.requests.average)).join(' / ')} | ${median(rs.map((r) => r.latency.p50))} | ${median(rs.map((r) => r.latency.p99))} | ${sum((r) => r.non2xx)} | ${sum((r) => r.errors + r.timeouts)} |`;
  }),
];
process.stdout.write(`\n${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s per route (after a 3 s warm-up each)\n\n${lines.join('\n')}\n\n`);
const ingest = runsOf('/events');
for (const { name, path } of ingest.length ? ROUTES.filter((r) => r.path !== '/events') : []) {
  const ratios = runsOf(path).map((r, i) => (100 * (ingest[i] as Result).requests.average) / r.requests.average);
  process.stdout.write(`POST /events / ${name}: median ${median(ratios).toFixed(1)} % (rounds: ${ratios.map((x) => x.toFixed(1)).join(', ')})\n`);
}
process.stdout.write(`events in the database: ${fmt(counted[0]?.events ?? 0)} (2xx of the measured /events runs: ${fmt(ingested2xx)}; the warm-up's are on top), leads: ${fmt(counted[0]?.leads ?? 0)}\n`);
