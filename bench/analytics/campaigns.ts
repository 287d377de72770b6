/**
 * npm run bench:campaigns — GET /analytics/campaigns (90 and 30 days) and the drilldown of the
 * largest campaign, through the real app server (bench/server.ts, worker off: the events are
 * seeded already scored), against hand-tuned SQL of the same answer (bench/analytics/reference.ts)
 * on the same database in the same run. Checks the answers agree before timing, then reports the
 * median of BENCH_REPEATS calls each and the API / SQL ratio (the bar: ≤ 2×).
 *   BENCH_EVENTS (1000000)  BENCH_LEADS (50000)  BENCH_REPEATS (15)
 */
import pg from 'pg';
import { appDatabase, dbName } from '../lib/db.js';
import { createHttpClient } from '../lib/http.js';
import { startAppServer } from '../lib/processes.js';
import { fixed, median, runHeader } from '../lib/stats.js';
import { ATTRIBUTION_SQL, CAMPAIGN_LEADS_FULL_SQL, CAMPAIGN_LEADS_SQL, CAMPAIGNS_SQL } from './reference.js';
import { seedAnalytics } from './seed.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 50_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const DAYS = 180;
const DAY = 86_400_000;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Median ms of REPEATS calls after two warm-up calls. */
async function medianMs(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) times.push((await timed(fn)).ms);
  return median(times);
}

/** GET on a keep-alive http.request client: fetch adds about a millisecond per call (bench/lib/http.ts). */
function apiCaller(http: ReturnType<typeof createHttpClient>) {
  return async (path: string) => {
    const res = await http.request('GET', path);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  };
}

/** The API's rows and the reference's rows must be the same answer (any key order, timestamps as ISO, numbers as numbers). */
function sameCampaigns(api: Array<Record<string, unknown>>, ref: Array<Record<string, unknown>>): void {
  const norm = (r: Record<string, unknown>) =>
    JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
  if (api.length !== ref.length) throw new Error(`row counts differ: api ${api.length}, sql ${ref.length}`);
  api.forEach((row, i) => {
    if (norm(row) !== norm(ref[i] as Record<string, unknown>)) throw new Error(`row ${i} differs:\n api ${norm(row)}\n sql ${norm(ref[i] as Record<string, unknown>)}`);
  });
}

/** GET /deals/attribution-insights against ATTRIBUTION_SQL: same answer checked, then both medians. */
async function attribution(api: ReturnType<typeof apiCaller>, client: pg.Client, orgId: string, unitId: string): Promise<string> {
  const path = '/deals/attribution-insights';
  const a = await api(path);
  const ref = (await client.query(ATTRIBUTION_SQL, [orgId, unitId])).rows[0] as { closed_won_deals: number; averages: Record<string, number> | null; top_event_types: unknown[] | null };
  const avg = (m: string) => (ref.averages?.[m] === undefined ? null : Number(ref.averages[m]));
  const expected = { closed_won_deals: ref.closed_won_deals, avg_score_at_mql: avg('mql'), avg_score_at_sql: avg('sql'), avg_score_at_opportunity: avg('opportunity'), avg_score_at_close: avg('close'), top_event_types: ref.top_event_types ?? [] };
  if (JSON.stringify(a) !== JSON.stringify(expected)) throw new Error(`attribution answers differ:\n api ${JSON.stringify(a)}\n sql ${JSON.stringify(expected)}`);
  const contacts = (await client.query(`select count(distinct lead_id)::int as n from deal_contacts where org_id = $1`, [orgId])).rows[0].n as number;
  const apiMs = await medianMs(() => api(path));
  const sqlMs = await medianMs(() => client.query(ATTRIBUTION_SQL, [orgId, unitId]));
  return `attribution insights (${ref.closed_won_deals} closed-won deals; ${contacts} explicit contacts in all deals): API ${fixed(apiMs, 1)} ms · SQL ${fixed(sqlMs, 1)} ms · ratio ${fixed(apiMs / sqlMs)}`;
}

const url = await appDatabase(dbName('leadvibe_bench_analytics'));
const server = await startAppServer(url, { BENCH_SCORING: 'false', BENCH_RULES: '0' }, 'analytics-server');
const { port, authorization, orgId, unitId } = server.ready;
const http = createHttpClient(port, { authorization });
try {
  const seeded = await timed(() => seedAnalytics(url, orgId, unitId, { events: EVENTS, leads: LEADS, accounts: Math.max(1, Math.floor(LEADS / 25)), campaigns: 200, days: DAYS }));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const api = apiCaller(http);
  const since = (days: number) => new Date(Date.now() - days * DAY);
  const report: string[] = [runHeader('npm run bench:campaigns', { BENCH_EVENTS: EVENTS, BENCH_LEADS: LEADS, BENCH_REPEATS: REPEATS }), `seeded in ${fixed(seeded.ms / 1000, 1)} s (${EVENTS} events over ${DAYS} days, 60 % tagged)\n`];
  for (const days of [90, 30]) {
    const start = since(days);
    const path = `/analytics/campaigns?start_date=${start.toISOString()}`;
    const apiRows = (await api(path)).campaigns as Array<Record<string, unknown>>;
    sameCampaigns(apiRows, (await client.query(CAMPAIGNS_SQL, [orgId, unitId, start])).rows);
    const apiMs = await medianMs(() => api(path));
    const sqlMs = await medianMs(() => client.query(CAMPAIGNS_SQL, [orgId, unitId, start]));
    const inWindow = (await client.query('select count(*)::int as n from events where unit_id = $1 and occurred_at >= $2 and utm_campaign is not null', [unitId, start])).rows[0].n as number;
    report.push(`campaigns ${days}d (${inWindow} tagged events in the window, ${apiRows.length} rows): API ${fixed(apiMs, 1)} ms · SQL ${fixed(sqlMs, 1)} ms · ratio ${fixed(apiMs / sqlMs)}`);
  }
  const start = since(90);
  const top = ((await api(`/analytics/campaigns?start_date=${start.toISOString()}`)).campaigns as Array<{ name: string }>)[0]?.name ?? 'campaign-0';
  const drill = `/analytics/campaigns/${encodeURIComponent(top)}/leads?start_date=${start.toISOString()}`;
  const apiLeads = (await api(drill)).leads as Array<Record<string, unknown>>;
  const drillArgs = [orgId, unitId, top, start];
  const full = (await client.query(CAMPAIGN_LEADS_FULL_SQL, drillArgs)).rows as Array<Record<string, unknown>>;
  sameCampaigns(apiLeads.map(({ account_name: _n, ...rest }) => rest), full);
  const ids = (await client.query(CAMPAIGN_LEADS_SQL, drillArgs)).rows.map((r: { lead_id: string }) => r.lead_id);
  if (JSON.stringify(apiLeads.map((l) => l.lead_id)) !== JSON.stringify(ids)) throw new Error('drilldown lead lists differ');
  const apiMs = await medianMs(() => api(drill));
  const fullMs = await medianMs(() => client.query(CAMPAIGN_LEADS_FULL_SQL, drillArgs));
  const idsMs = await medianMs(() => client.query(CAMPAIGN_LEADS_SQL, drillArgs));
  report.push(`drilldown of ${top} 90d (${apiLeads.length} leads): API ${fixed(apiMs, 1)} ms · SQL, whole answer ${fixed(fullMs, 1)} ms · ratio ${fixed(apiMs / fullMs)} · SQL, ids and touch times only ${fixed(idsMs, 1)} ms · ratio ${fixed(apiMs / idsMs)}`);
  report.push(await attribution(api, client, orgId, unitId));
  await client.end();
  console.log(report.join('\n'));
} finally {
  http.close();
  await server.stop();
}
