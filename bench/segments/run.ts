/**
 * npm run bench:segments — issue 12's segment target: `GET /segments/{id}/count` and the first page
 * of `GET /segments/{id}/leads` on BENCH_LEADS leads (100k) and BENCH_EVENTS events (1M), each
 * against a hand-written SQL query returning the same answer, timed in the same run (median of
 * BENCH_REPEAT calls after 2 warm-ups; the hand query runs over one pg connection, the route over
 * HTTP through the server as users run it: `npm start` defaults, worker on). Target: ratio ≤ 2.
 * Each pair's answers are compared, so a fast wrong query cannot pass.
 */
import pg from 'pg';
import { dbName, appDatabase, withClient } from '../lib/db.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, loadAverage, median, runHeader } from '../lib/stats.js';
import { SEGMENTS, type SegmentCase } from './segments.js';

const env = process.env;
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const EVENTS = Number(env.BENCH_EVENTS ?? 1_000_000);
const REPEAT = Number(env.BENCH_REPEAT ?? 15);
const header = runHeader('npm run bench:segments', { BENCH_LEADS: LEADS, BENCH_EVENTS: EVENTS, BENCH_REPEAT: REPEAT });

const url = await appDatabase(dbName('leadvibe_bench_segments'));
const server = await startAppServer(url, {}, 'segments');
const { port, authorization, orgId, unitId } = server.ready;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Leads with metadata, their primary score and state, and events spread over them (all by SQL). */
async function seed(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ id: string }>('select id from rulesets where unit_id = $1 and is_primary', [unitId]);
  const ruleset = rows[0]?.id;
  await client.query(
    `insert into leads (org_id, unit_id, id, metadata, created_at)
     select $1, $2, 'lead-' || g,
            jsonb_build_object('plan', (array['free','pro','enterprise','trial'])[1 + g % 4],
                               'employees', (g * 7919) % 5000,
                               'country', (array['US','DE','FR','GB','NL','SE','ES','IT','CA','AU'])[1 + (g / 7) % 10],
                               'company', jsonb_build_object('size', (array['small','medium','large'])[1 + (g / 3) % 3])),
            now() - make_interval(days => g % 365)
       from generate_series(1, $3::int) g`,
    [orgId, unitId, LEADS],
  );
  await client.query(
    `insert into lead_scores (org_id, unit_id, lead_id, ruleset_id, total_score, last_event_at)
     select $1, $2, 'lead-' || g, $4, (g * 31) % 160, now() - make_interval(hours => g % 2000)
       from generate_series(1, $3::int) g`,
    [orgId, unitId, LEADS, ruleset],
  );
  await client.query(
    `insert into lead_scoring_state (org_id, unit_id, lead_id, last_event_at, last_event_type)
     select $1, $2, 'lead-' || g, now() - make_interval(hours => g % 2000), 'page_view'
       from generate_series(1, $3::int) g`,
    [orgId, unitId, LEADS],
  );
  await client.query(
    `insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, scored_at)
     select $1, $2, 'lead-' || (1 + (g::bigint * 104729) % $3),
            (array['page_view','page_view','page_view','page_view','email_open','email_open','webinar_attended','form_submit','demo_request','pricing_view'])[1 + g % 10],
            'web',
            jsonb_build_object('source', (array['google','linkedin','newsletter','direct','partner'])[1 + (g / 10) % 5],
                               'pages', g % 12),
            now() - make_interval(mins => g % 129600), now()
       from generate_series(1, $4::int) g`,
    [orgId, unitId, LEADS, EVENTS],
  );
  await client.query('vacuum analyze');
}

async function createSegment(c: SegmentCase): Promise<string> {
  const created = (await api('POST', '/segments', { name: c.name })) as { segment_id: string };
  for (const rule of c.rules) await api('POST', `/segments/${created.segment_id}/rules`, rule);
  return created.segment_id;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; answer: T }> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  let answer!: T;
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    answer = await fn();
    times.push(performance.now() - start);
  }
  return { ms: median(times), answer };
}

const lines = ['', header, '| segment | matches | count: route ms | count: SQL ms | ratio | first page: route ms | first page: SQL ms | ratio |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
try {
  await withClient(url, async (client) => {
    const seedStart = performance.now();
    await seed(client);
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
  await server.stop();
  removeLogs(server.logFile);
}
lines.push('', `load average after: ${loadAverage()}`);
console.log(lines.join('\n'));
