/**
 * npm run bench:leads — issue 10's lead-read target: `GET /leads` with each filter and
 * `GET /leads/search` on BENCH_LEADS leads (100k) and BENCH_EVENTS events (1M), each against
 * hand-written SQL returning the same answer (the page and its total on two connections at once,
 * as the route runs them), median of BENCH_REPEAT calls after 2 warm-ups, in the same run.
 * Target: ratio ≤ 2. Answers are compared, so a fast wrong query cannot pass.
 */
import pg from 'pg';
import { createHttpClient } from '../lib/http.js';
import { seedDataset } from '../lib/dataset.js';
import { appDatabase, dbName } from '../lib/db.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { summarizeProfile } from '../lib/cpuprofile.js';
import { fixed, loadAverage, median, pairedMedians, runHeader, timedMedian } from '../lib/stats.js';
import { ACCOUNT_CASES, accountKey, accountPageSql, type AccountPageRow } from './accounts.js';
import { LIST_CASES, SEARCH_CASES, SEARCH_SQL } from './cases.js';
import { explainTimes, runStatement, searchStatements } from './search.js';

const env = process.env;
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const EVENTS = Number(env.BENCH_EVENTS ?? 1_000_000);
const REPEAT = Number(env.BENCH_REPEAT ?? 15);
/** Searches take about a millisecond: their medians need more calls, after the server's code is optimized. */
const SEARCH_REPEAT = Number(env.BENCH_SEARCH_REPEAT ?? 300);
const SEARCH_WARMUP = Number(env.BENCH_SEARCH_WARMUP ?? 3000);
/** Which groups of reads to measure: lists, search, accounts (all by default). */
const ONLY = new Set((env.BENCH_ONLY ?? 'lists,search,accounts').split(','));
const header = runHeader('npm run bench:leads', {
  BENCH_LEADS: LEADS, BENCH_EVENTS: EVENTS, BENCH_REPEAT: REPEAT, BENCH_SEARCH_REPEAT: SEARCH_REPEAT, BENCH_SEARCH_WARMUP: SEARCH_WARMUP, BENCH_ONLY: [...ONLY].join(','),
});

const url = await appDatabase(dbName('leadvibe_bench_leads'));
const server = await startAppServer(url, {}, 'leads');
const { port, authorization, orgId, unitId } = server.ready;
const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })] as const;

const http = createHttpClient(port, { authorization });

async function get<T>(path: string): Promise<T> {
  const res = await http.request('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

const timed = <T>(fn: () => Promise<T>) => timedMedian(fn, REPEAT);

const rows: string[] = [];
const row = (name: string, answer: string, route: number, hand: number) =>
  rows.push(`| ${name} | ${answer} | ${fixed(route)} | ${fixed(hand)} | **${fixed(route / hand)}** |`);

async function listCases(): Promise<void> {
  for (const c of LIST_CASES) {
    const route = await timed(() => get<{ leads: Array<{ lead_id: string }>; total: number }>(`/leads?page=1&limit=50&${c.query}`));
    const hand = await timed(async () => {
      const [page, count] = await Promise.all([clients[0].query(c.pageSql, [orgId, unitId]), clients[1].query(c.countSql, [orgId, unitId])]);
      return { ids: page.rows.map((r) => r.id as string), total: Number(count.rows[0].n) };
    });
    if (route.answer.total !== hand.answer.total) throw new Error(`${c.name}: total ${route.answer.total} ≠ SQL ${hand.answer.total}`);
    if (route.answer.leads.map((l) => l.lead_id).join() !== hand.answer.ids.join()) throw new Error(`${c.name}: the page differs from the SQL's`);
    row(`GET /leads ${c.name}`, `${hand.answer.total} leads`, route.ms, hand.ms);
  }
}

type AccountPage = { accounts: Array<Omit<AccountPageRow, 'total' | 'id'> & { account_id: string }>; total: number };

async function accountCases(): Promise<void> {
  for (const k of ACCOUNT_CASES) {
    const route = await timed(() => get<AccountPage>(`/accounts?${k.query}`));
    const hand = await timed(async () => (await clients[0].query<AccountPageRow>(accountPageSql(k), [orgId, unitId])).rows);
    const total = hand.answer[0]?.total ?? 0;
    if (route.answer.total !== total) throw new Error(`accounts ${k.name}: total ${route.answer.total} ≠ SQL ${total}`);
    if (accountKey(route.answer.accounts) !== accountKey(hand.answer)) throw new Error(`accounts ${k.name}: the page differs from the SQL's`);
    row(`GET /accounts ${k.name}`, `${total} accounts`, route.ms, hand.ms);
  }
}

/** The same server's no-database route with the same auth: the fixed cost of any request. */
async function floor(): Promise<number> {
  const noop = async () => {
    const res = await http.request('POST', '/bench/noop-auth', '{}');
    if (res.status !== 202) throw new Error(`noop: ${res.status}`);
    return res.body;
  };
  return (await timedMedian(noop, SEARCH_REPEAT)).ms;
}

/** The same server's GET running `select 1` on its pool: any read's fixed cost with one round trip. */
async function selectOne(): Promise<number> {
  return (await timedMedian(() => get<unknown>('/bench/select1-auth'), SEARCH_REPEAT)).ms;
}

/** BENCH_CPU_PROF=<dir>: the server's CPU profile over 2,000 sequential calls of each search, summarized. */
async function searchProfile(): Promise<string[]> {
  if (!env.BENCH_CPU_PROF) return [];
  await server.ask({ cmd: 'profile-start' });
  for (const c of SEARCH_CASES) for (let i = 0; i < 2000; i++) await get(`/leads/search?q=${encodeURIComponent(c.q)}`);
  const { file } = await server.ask<{ file: string }>({ cmd: 'profile-stop' });
  const p = summarizeProfile(file);
  const list = (xs: Array<[string, number]>) => xs.map(([k, v]) => `${k} ${fixed(100 * v, 1)} %`).join(', ');
  return ['', `Server CPU profile of the searches (${fixed(p.seconds, 1)} s, ${file}):`, `- self by category: ${list(p.categories)}`,
    `- self by function: ${list(p.functions)}`, `- inclusive, app functions: ${list(p.inclusive)}`, `- native by caller: ${list(p.nativeCallers)}`];
}

async function searchCases(): Promise<void> {
  for (const c of SEARCH_CASES) {
    const search = () => get<Array<{ id: string }>>(`/leads/search?q=${encodeURIComponent(c.q)}`);
    // A server that has answered a few hundred requests still runs much of its request path unoptimized
    // (the first thousands of calls measured ~2x slower, the database idle): warm it, as users' traffic does.
    for (let i = 0; i < SEARCH_WARMUP; i++) await search();
    // Interleaved: a millisecond read meets the machine's load swings, so both sides meet the same ones.
    const { a: route, b: hand } = await pairedMedians(
      search,
      async () => (await clients[0].query(SEARCH_SQL, [orgId, unitId, c.q])).rows.map((r) => r.id as string),
      SEARCH_REPEAT,
    );
    if (route.answer.map((h) => h.id).join() !== hand.answer.join()) throw new Error(`${c.name}: hits differ from the SQL's`);
    row(`GET /leads/${c.name}`, `${hand.answer.length} hits`, route.ms, hand.ms);
    await searchBreakdown(c.name, c.q);
  }
}

const breakdown: string[] = [];

/** The route's statement and the hand query from this process: unprepared, prepared, and EXPLAIN's planning/execution. */
async function searchBreakdown(name: string, q: string): Promise<void> {
  for (const s of searchStatements(orgId, unitId, q)) {
    // A server checkout from before migration 0068 (BENCH_SERVER_DIR) has no lv_lead_search.
    if (s.label === 'route SQL' && !(await clients[0].query(`select 1 from pg_proc where proname = 'lv_lead_search'`)).rowCount) continue;
    const unprepared = await timedMedian(() => runStatement(clients[0], s, false), SEARCH_REPEAT);
    const prepared = await timedMedian(() => runStatement(clients[0], s, true), SEARCH_REPEAT);
    const explained: Array<{ planning: number; execution: number }> = [];
    for (let i = 0; i < REPEAT; i++) explained.push(await explainTimes(clients[0], s));
    const ms = (k: 'planning' | 'execution') => fixed(median(explained.map((e) => e[k])));
    breakdown.push(`| ${name} | ${s.label} | ${fixed(unprepared.ms)} | ${fixed(prepared.ms)} | ${ms('planning')} | ${ms('execution')} |`);
  }
}

try {
  await Promise.all(clients.map((c) => c.connect()));
  const seedStart = performance.now();
  await seedDataset(clients[0], { orgId, unitId, leads: LEADS, events: EVENTS });
  console.log(`seeded ${LEADS} leads and ${EVENTS} events in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`);
  if (ONLY.has('lists')) await listCases();
  if (ONLY.has('search')) await searchCases();
  if (ONLY.has('search')) breakdown.push(...(await searchProfile()));
  if (ONLY.has('accounts')) await accountCases();
  rows.push(`| no-database request of the same server (POST /bench/noop-auth, same auth) | | ${fixed(await floor())} | | |`);
  rows.push(`| one \`select 1\` through the same server's pool (GET /bench/select1-auth, same auth) | | ${fixed(await selectOne())} | | |`);
} finally {
  await Promise.all(clients.map((c) => c.end()));
  http.close();
  await server.stop();
  removeLogs(server.logFile);
}
const searchTable = breakdown.length
  ? ['', '| search | statement | from bench ms | prepared ms | planning ms | execution ms |', '|---|---|---:|---:|---:|---:|', ...breakdown]
  : [];
console.log(['', header, '| read | answer | route ms | SQL ms | ratio |', '|---|---:|---:|---:|---:|', ...rows, ...searchTable, '', `load average after: ${loadAverage()}`].join('\n'));
