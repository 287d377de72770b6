/**
 * npm run bench:ingest — POST /events on real PostgreSQL vs routes answering 202 without the
 * database, 50 connections each, in the same run. See bench/README.md.
 *   BENCH_DURATION (s, default 15)  BENCH_CONNECTIONS (default 50)  BENCH_LEADS (default 10000)
 */
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { freshDatabase, startServer } from '../bench-db.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 15);
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

const rows: Array<{ name: string; r: Result }> = [];
for (const [name, path] of [
  ['no database, no auth (POST /bench/noop)', '/bench/noop'],
  ['no database, Basic auth (POST /bench/noop-auth)', '/bench/noop-auth'],
  ['POST /events (group commit)', '/events'],
] as const) {
  await run(path, 3); // warm-up
  rows.push({ name, r: await run(path, DURATION) });
}

const client = new pg.Client({ connectionString: url });
await client.connect();
const { rows: counted } = await client.query<{ events: number; leads: number }>(
  'select (select count(*)::int from events) as events, (select count(*)::int from leads) as leads',
);
await client.end();
await ready.stop();

const ingest = rows[2]?.r as Result;
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const lines = [
  `| route | req/s (avg) | p50 ms | p99 ms | non-2xx | errors |`,
  `|---|---:|---:|---:|---:|---:|`,
  ...rows.map(({ name, r }) => `| ${name} | ${fmt(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} | ${r.errors + r.timeouts} |`),
];
process.stdout.write(`\n${CONNECTIONS} connections, ${DURATION} s per route (after a 3 s warm-up)\n\n${lines.join('\n')}\n\n`);
for (const { name, r } of rows.slice(0, 2)) {
  process.stdout.write(`POST /events / ${name}: ${((100 * ingest.requests.average) / r.requests.average).toFixed(1)} %\n`);
}
process.stdout.write(`events in the database: ${fmt(counted[0]?.events ?? 0)} (2xx of the measured /events run: ${fmt(ingest['2xx'])}; the 3 s warm-up's are on top), leads: ${fmt(counted[0]?.leads ?? 0)}\n`);
