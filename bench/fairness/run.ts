/**
 * npx tsx bench/fairness/run.ts — fair scoring across OUs (issue 15), on real PostgreSQL, through
 * the app's own HTTP routes (app.inject: no sockets, the real ingest and scoring code).
 *  1. OU A ingests BENCH_BACKLOG events (/events/batch, BENCH_LEADS leads) with the worker off; then
 *     the worker (SCORING_CONCURRENCY passes of SCORING_BATCH_SIZE) drains it alone → A's events/s;
 *  2. the same again, while OU B sends one event every BENCH_TRICKLE_MS → A's events/s with B's
 *     trickle, and B's event→score latency (received_at → scored_at, p50/max);
 *  3. A's backlog again, then B sends one event → how long B waited.
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/database.js';
import { createScoringWorker } from '../../src/modules/scoring-worker/scoring-worker.js';
import { dbName, freshDatabase } from '../lib/db.js';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 2_000);
const TRICKLE_MS = Number(process.env.BENCH_TRICKLE_MS ?? 50);
const CONCURRENCY = Number(process.env.SCORING_CONCURRENCY ?? 2);
const BATCH = Number(process.env.SCORING_BATCH_SIZE ?? 1000);

const url = await freshDatabase(dbName('leadvibe_bench_fairness'));
const database = await createDatabase({ kind: 'postgres', url, poolSize: CONCURRENCY + 6 });
const env = { LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-of-at-least-32-characters!', SCORING_WORKER: 'false', RATE_LIMIT_MODE: 'off', AUTH_RATE_LIMIT_PER_MIN: '100000' };
const app = await buildApp({ config: loadConfig(env), database });
await app.ready();

async function signup(name: string) {
  const res = await app.inject({ method: 'POST', url: '/auth/signup', payload: { organization_name: name, first_name: 'A', last_name: 'B', email: `${name}@bench.io`, password: 'correct horse battery' } });
  const body = res.json();
  const s = { unitId: body.unit.unit_id as string, headers: { authorization: `Bearer ${body.token}` } };
  const rule = await app.inject({ method: 'POST', url: '/rules', headers: s.headers, payload: { event_type: 'page_view', weight: 10 } });
  if (rule.statusCode !== 201) throw new Error(rule.body);
  return s;
}
type S = Awaited<ReturnType<typeof signup>>;

async function post(a: FastifyInstance, s: S, url: string, payload: object) {
  const res = await a.inject({ method: 'POST', url, headers: s.headers, payload });
  if (res.statusCode !== 202) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json();
}

let round = 0;
async function backlog(s: S): Promise<void> {
  round += 1;
  for (let done = 0; done < BACKLOG; done += 1000) {
    const events = Array.from({ length: Math.min(1000, BACKLOG - done) }, (_, i) => ({
      event_type: 'page_view',
      aliases: [{ alias_kind: 'email', raw_value: `lead-${(done + i) % LEADS}@a.io` }],
      timestamp: new Date(Date.UTC(2025, 0, 1) + round * 86_400_000 + done + i).toISOString(),
    }));
    await post(app, s, '/events/batch', { events });
  }
}

async function unscored(unitId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from events e where e.unit_id = ${unitId} and e.scored_at is null
    and not exists (select 1 from event_outcomes o where o.org_id = e.org_id and o.event_id = e.id)`.execute(database.db);
  return rows[0]?.n ?? 0;
}

async function waitScored(unitId: string): Promise<number> {
  const t0 = performance.now();
  while ((await unscored(unitId)) > 0) await new Promise((r) => setTimeout(r, 20));
  return (performance.now() - t0) / 1000;
}

const a = await signup('fair-a');
const b = await signup('fair-b');
const worker = createScoringWorker({ database, log: app.log, batchSize: BATCH, concurrency: CONCURRENCY, pollMs: 1000 });

// 1. A alone.
await backlog(a);
await worker.start();
const alone = BACKLOG / (await waitScored(a.unitId));
await worker.stop();

// 2. A with B's trickle.
await backlog(a);
const bEvents: string[] = [];
let trickling = true;
const trickle = (async () => {
  for (let i = 0; trickling; i++) {
    const body = await post(app, b, '/events', { event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: `b-${i % 50}@b.io` }] });
    bEvents.push(body.metadata.event_id);
    await new Promise((r) => setTimeout(r, TRICKLE_MS));
  }
})();
await worker.start();
const withTrickle = BACKLOG / (await waitScored(a.unitId));
trickling = false;
await trickle;
await waitScored(b.unitId);
await worker.stop();
const { rows: lat } = await sql<{ ms: number }>`
  select extract(epoch from (o.scored_at - e.received_at)) * 1000 as ms from events e
    join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id where e.unit_id = ${b.unitId} order by 1`.execute(database.db);
const ms = lat.map((r) => Number(r.ms));

// 3. One event of B behind A's backlog.
await backlog(a);
await worker.start();
await new Promise((r) => setTimeout(r, 200));
const single = await post(app, b, '/events', { event_type: 'page_view', aliases: [{ alias_kind: 'email', raw_value: 'single@b.io' }] });
const t0 = performance.now();
for (;;) {
  const row = await database.db.selectFrom('event_outcomes').select('scored_at').where('event_id', '=', single.metadata.event_id).executeTakeFirst();
  if (row) break;
  await new Promise((r) => setTimeout(r, 5));
}
const singleMs = performance.now() - t0;
await waitScored(a.unitId);
await worker.stop();

const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]?.toFixed(0);
console.log(JSON.stringify({
  backlog: BACKLOG, leads: LEADS, concurrency: CONCURRENCY, batch: BATCH,
  a_alone_events_per_s: Math.round(alone),
  a_with_b_trickle_events_per_s: Math.round(withTrickle),
  b_trickle_events: bEvents.length,
  b_latency_ms: { p50: pct(0.5), p99: pct(0.99), max: ms.at(-1)?.toFixed(0) },
  b_single_behind_backlog_ms: Math.round(singleMs),
}));
await app.close();
await database.close();
