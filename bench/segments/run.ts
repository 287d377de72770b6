/**
 * npm run bench:segments — issue 12's segment target: `GET /segments/{id}/count` and the first page
 * of `GET /segments/{id}/leads` on BENCH_LEADS leads (100k) and BENCH_EVENTS events (1M), each
 * against a hand-written SQL query returning the same answer, timed in the same run (median of
 * BENCH_REPEAT calls after 2 warm-ups; the hand query runs over one pg connection, the route over
 * HTTP through the server as users run it: `npm start` defaults, worker on). Target: ratio ≤ 2.
 * Each pair's answers are compared, so a fast wrong query cannot pass.
 */
import { dbName, appDatabase, withClient } from '../lib/db.js';
import { createHttpClient } from '../lib/http.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, loadAverage, runHeader, timedMedian } from '../lib/stats.js';
import { seedDataset } from '../lib/dataset.js';
import { SEGMENTS, type SegmentCase } from './segments.js';

const env = process.env;
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const EVENTS = Number(env.BENCH_EVENTS ?? 1_000_000);
const REPEAT = Number(env.BENCH_REPEAT ?? 15);
const header = runHeader('npm run bench:segments', { BENCH_LEADS: LEADS, BENCH_EVENTS: EVENTS, BENCH_REPEAT: REPEAT });

const url = await appDatabase(dbName('leadvibe_bench_segments'));
const server = await startAppServer(url, {}, 'segments');
const { port, authorization, orgId, unitId } = server.ready;

// Keep-alive http.request, not fetch: fetch adds about a millisecond per call (bench/lib/http.ts).
const http = createHttpClient(port, { authorization });

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await http.request(method, path, body === undefined ? undefined : JSON.stringify(body));
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body);
}

async function createSegment(c: SegmentCase): Promise<string> {
  const created = (await api('POST', '/segments', { name: c.name })) as { segment_id: string };
  for (const rule of c.rules) await api('POST', `/segments/${created.segment_id}/rules`, rule);
  return created.segment_id;
}

const timed = <T>(fn: () => Promise<T>) => timedMedian(fn, REPEAT);

const lines = ['', header, '| segment | matches | count: route ms | count: SQL ms | ratio | first page: route ms | first page: SQL ms | ratio |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
try {
  await withClient(url, async (client) => {
    const seedStart = performance.now();
    await seedDataset(client, { orgId, unitId, leads: LEADS, events: EVENTS });
    console.log(`seeded ${LEADS} leads and ${EVENTS} events in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`);
    for (const c of SEGMENTS) {
      const id = await createSegment(c);
      const count = await timed(() => api('GET', `/segments/${id}/count`) as Promise<{ count: number }>);
      const countSql = await timed(async () => Number((await client.query(c.countSql, [orgId, unitId])).rows[0].n));
      const page = await timed(() => api('GET', `/segments/${id}/leads?page=1&limit=50`) as Promise<Array<{ lead_id: string }>>);
      const pageSql = await timed(async () => (await client.query(c.pageSql, [orgId, unitId])).rows.map((r) => r.id as string));
      if (count.answer.count !== countSql.answer) throw new Error(`${c.name}: count ${count.answer.count} ≠ SQL ${countSql.answer}`);
      const ids = page.answer.map((l) => l.lead_id);
      if (ids.join() !== pageSql.answer.join()) throw new Error(`${c.name}: first page differs from the SQL's`);
      lines.push(
        `| ${c.name} | ${countSql.answer} | ${fixed(count.ms)} | ${fixed(countSql.ms)} | **${fixed(count.ms / countSql.ms)}** | ${fixed(page.ms)} | ${fixed(pageSql.ms)} | **${fixed(page.ms / pageSql.ms)}** |`,
      );
    }
  });
} finally {
  http.close();
  await server.stop();
  removeLogs(server.logFile);
}
lines.push('', `load average after: ${loadAverage()}`);
console.log(lines.join('\n'));
