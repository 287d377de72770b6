/**
 * npm run bench:analytics — POST /api/v1/insights over 30 days against a hand-tuned SQL query of
 * the same answer, in the same run, on BENCH_EVENTS generated web events (default 1M) over 90 days.
 * The app runs in this process (buildApp + inject: the route's whole path, minus the socket);
 * the hand-tuned query runs on its own connection. Both answers are compared before timing.
 *   BENCH_EVENTS (default 1000000)  BENCH_LEADS (default 20000)  BENCH_RUNS (default 5)
 *   BENCH_REUSE=1 keeps the database of the previous run (no new seed: its size is what it was)
 */
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/database.js';
import { dbName, freshDatabase, urlOf, withClient } from '../lib/db.js';
import { HAND_TUNED_INSIGHTS } from './hand-tuned.js';
import { SEED_EVENTS } from './sessions-seed.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WINDOW = { start_date: '2025-06-01', end_date: '2025-06-30' };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timed(fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times;
}

const REUSE = process.env.BENCH_REUSE === '1';
const name = dbName('leadvibe_bench_analytics');
const url = REUSE ? urlOf(name) : await freshDatabase(name);
const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn', SCORING_WORKER: 'false', JWT_SECRET: 'bench-secret-of-at-least-32-characters!!', COOKIE_SECRET: 'bench-cookie-secret-of-at-least-32-chars' });
const database = await createDatabase({ kind: 'postgres', url, poolSize: 10 });
const app = await buildApp({ config, database });
const owner = { email: 'bench@bench.io', password: 'bench password' };
const signedIn = REUSE
  ? await app.inject({ method: 'POST', url: '/auth/login', payload: owner })
  : await app.inject({ method: 'POST', url: '/auth/signup', payload: { organization_name: 'Bench', first_name: 'B', last_name: 'B', ...owner } });
const token = signedIn.json().token as string;
const { rows: [ou] } = await withClient(url, (c) => c.query('select org_id, id from org_units limit 1'));
const [orgId, unitId] = [ou.org_id as string, ou.id as string];

if (!REUSE) {
  const seedStart = Date.now();
  await withClient(url, async (c) => {
    await c.query(SEED_EVENTS, [orgId, unitId, LEADS, EVENTS]);
    await c.query('vacuum analyze events');
    await c.query('vacuum analyze leads');
  });
  console.log(`seeded ${EVENTS} events over ${LEADS} leads in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
}

const route = async () => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/insights', headers: { authorization: `Bearer ${token}` }, payload: WINDOW });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json();
};
const hand = new pg.Client({ connectionString: url });
await hand.connect();
// The route runs with 64 MB of sort memory (sessions.repository.ts): the reference gets the same.
await hand.query(`set work_mem = '64MB'`);
const params = [orgId, unitId, `${WINDOW.start_date}T00:00:00Z`, `${WINDOW.end_date}T23:59:59.999Z`];
const handTuned = async () => (await hand.query(HAND_TUNED_INSIGHTS, params)).rows[0];

const api = (await route()).overall_metrics;
const ref = await handTuned();
const same =
  api.user_summary.total_users === ref.total_users &&
  api.user_summary.total_converted_users === ref.converted_users &&
  api.session_summary.total_sessions === ref.total_sessions &&
  api.session_summary.total_converting_sessions === ref.converting_sessions &&
  api.session_summary.total_drop_off_sessions === ref.drop_off_sessions &&
  JSON.stringify(api.channels.map((c: { channel: string; total_sessions: number; attributed_to_conversion: number }) => [c.channel, c.total_sessions, c.attributed_to_conversion])) ===
    JSON.stringify(ref.channels.map((c: { channel: string; total_sessions: number; attributed: number }) => [c.channel, c.total_sessions, c.attributed]));
if (!same) throw new Error(`answers differ:\n${JSON.stringify(api).slice(0, 800)}\n${JSON.stringify(ref).slice(0, 800)}`);

const windowEvents = (await hand.query(`select count(*)::int as n from events where unit_id = $1 and occurred_at between $2 and $3`, [unitId, params[2], params[3]])).rows[0].n;
const routeTimes = await timed(route);
const handTimes = await timed(handTuned);
const [r, h] = [median(routeTimes), median(handTimes)];
console.log(`window: ${WINDOW.start_date}..${WINDOW.end_date}, ${windowEvents} events in it; ${api.user_summary.total_users} users, ${api.session_summary.total_sessions} sessions`);
console.log(`POST /api/v1/insights  median ${r.toFixed(1)} ms  (${routeTimes.map((t) => t.toFixed(0)).join(', ')})`);
console.log(`hand-tuned SQL         median ${h.toFixed(1)} ms  (${handTimes.map((t) => t.toFixed(0)).join(', ')})`);
console.log(`ratio ${(r / h).toFixed(2)} (target ≤ 2)`);
await hand.end();
await app.close();
await database.close();
