/**
 * npm run bench:leads:merge — issue 10's "a merge of a lead with 10k events finishes in seconds and
 * blocks no other lead's scoring". A server as users run it (worker on) holds a source lead with
 * BENCH_MERGE_EVENTS events (10k) and a target with 500, both scored by the worker, among
 * BENCH_LEADS other leads with BENCH_EVENTS events. Meanwhile another lead receives POST /events
 * at BENCH_OTHER_RATE events/s: its event→score latency (send → `event_outcomes.scored_at` seen, polled
 * every 20 ms) before the merge, then while POST /leads/merge runs and the worker replays the
 * target's history (until the target has nothing queued). Reports the merge request's duration,
 * the rescore's, and the other lead's latencies in both windows. BENCH_OP=rescore: instead of the
 * merge, `POST /leads/src/rescore` of the source (BENCH_MERGE_EVENTS events), timed the same way.
 */
import pg from 'pg';
import { appDatabase, dbName, waitForDrain } from '../lib/db.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, loadAverage, median, runHeader } from '../lib/stats.js';

const env = process.env;
const MERGE_EVENTS = Number(env.BENCH_MERGE_EVENTS ?? 10_000);
const LEADS = Number(env.BENCH_LEADS ?? 10_000);
const EVENTS = Number(env.BENCH_EVENTS ?? 100_000);
const RATE = Number(env.BENCH_OTHER_RATE ?? 10);
const BEFORE_S = Number(env.BENCH_BEFORE_S ?? 10);
const OP = env.BENCH_OP === 'rescore' ? 'rescore' : 'merge';
/** The lead whose history the worker replays: the merge's target, or the rescored source. */
const REPLAYED = OP === 'rescore' ? 'src' : 'tgt';
const header = runHeader('npm run bench:leads:merge', { BENCH_MERGE_EVENTS: MERGE_EVENTS, BENCH_LEADS: LEADS, BENCH_EVENTS: EVENTS, BENCH_OTHER_RATE: RATE, BENCH_BEFORE_S: BEFORE_S, BENCH_OP: OP });

const url = await appDatabase(dbName('leadvibe_bench_merge'));
const server = await startAppServer(url, {}, 'merge');
const { port, authorization, orgId, unitId } = server.ready;
const client = new pg.Client({ connectionString: url });
const poller = new pg.Client({ connectionString: url });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Leads `bg-<g>`, `src`, `tgt`, `other`, and their events, queued for the worker (bulk lane) as an import would. */
async function seed(): Promise<void> {
  const p = [orgId, unitId];
  await client.query(`insert into leads (org_id, unit_id, id) select $1::uuid, $2::uuid, 'bg-' || g from generate_series(1, $3::int) g
                      union all select $1::uuid, $2::uuid, unnest(array['src', 'tgt', 'other'])`, [...p, LEADS]);
  const insert = (lead: string, n: number) =>
    client.query(
      `with e as (
         insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at)
         select $1, $2, ${lead}, (array['page_view','email_open','pricing_view','form_submit'])[1 + g % 4], 'web', '{}'::jsonb,
                now() - make_interval(secs => ($3::int - g) * 37)
           from generate_series(1, $3::int) g
         returning org_id, id, unit_id, lead_id, seq)
       insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq, lane) select org_id, id, unit_id, lead_id, seq, 1 from e`,
      [...p, n],
    );
  await insert(`'bg-' || (1 + (g * 7919) % ${LEADS})`, EVENTS);
  await insert(`'src'`, MERGE_EVENTS);
  await insert(`'tgt'`, 500);
  await client.query(`select pg_notify('lv_ingested', $1)`, [unitId]);
  await waitForDrain(client);
  await client.query('vacuum analyze');
}

interface Sent {
  id: string;
  sentAt: number;
  scoredAt?: number;
}

/** Sends an event for lead `other` every 1000/RATE ms while `running()`; a poller notes when each is scored. */
async function otherLead(running: () => boolean, sent: Sent[]): Promise<void> {
  const pending = new Map<string, Sent>();
  const poll = (async () => {
    while (running() || pending.size > 0) {
      const { rows } = await poller.query<{ id: string }>(`select event_id as id from event_outcomes where org_id = $1 and event_id = any($2::uuid[])`, [orgId, [...pending.keys()]]);
      const now = performance.now();
      for (const { id } of rows) {
        const s = pending.get(id);
        if (s) (s.scoredAt = now), pending.delete(id);
      }
      await sleep(20);
    }
  })();
  let n = 0;
  while (running()) {
    const t0 = performance.now();
    const sentAt = performance.now();
    const body = await post<{ metadata: { event_id: string } }>('/events', { lead_id: 'other', event_type: 'email_open', metadata: { n: n++ } });
    const s: Sent = { id: body.metadata.event_id, sentAt };
    sent.push(s);
    pending.set(s.id, s);
    await sleep(Math.max(0, 1000 / RATE - (performance.now() - t0)));
  }
  await poll;
}

function latencies(sent: Sent[], from: number, to: number): string {
  const v = sent.filter((s) => s.sentAt >= from && s.sentAt < to && s.scoredAt !== undefined).map((s) => (s.scoredAt as number) - s.sentAt);
  v.sort((a, b) => a - b);
  const p95 = v[Math.min(v.length - 1, Math.floor(v.length * 0.95))] ?? Number.NaN;
  return `${v.length} events | ${fixed(median(v), 0)} | ${fixed(p95, 0)} | ${fixed(v[v.length - 1] ?? Number.NaN, 0)}`;
}

/**
 * Polls until the target has no queued event (the worker replayed its history); answers how the
 * queue shrank: each drop of its count is (about) one worker pass over the target.
 */
async function rescoreDone(): Promise<{ steps: number; perStep: number; msPerStep: number }> {
  const drops: Array<{ at: number; n: number }> = [];
  let last = Number.POSITIVE_INFINITY;
  for (;;) {
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from scoring_queue where org_id = $1 and unit_id = $2 and lead_id = $3`, [orgId, unitId, REPLAYED]);
    const n = rows[0]?.n ?? 0;
    if (n < last) drops.push({ at: performance.now(), n: last === Number.POSITIVE_INFINITY ? n : last - n });
    last = n;
    if (n === 0) break;
    await sleep(20);
  }
  const steps = drops.slice(1);
  const span = steps.length > 0 ? (steps[steps.length - 1] as { at: number }).at - (drops[0] as { at: number }).at : 0;
  return { steps: steps.length, perStep: median(steps.map((d) => d.n)), msPerStep: steps.length > 0 ? span / steps.length : 0 };
}

const lines: string[] = [];
try {
  await Promise.all([client.connect(), poller.connect()]);
  await seed();
  let running = true;
  const sent: Sent[] = [];
  const other = otherLead(() => running, sent);
  const start = performance.now();
  await sleep(BEFORE_S * 1000);
  const mergeStart = performance.now();
  const merged =
    OP === 'merge'
      ? await post<{ movedEvents: number; rescore: { queued_events: number } }>('/leads/merge', { targetLeadId: 'tgt', sourceLeadIds: ['src'] })
      : await post<{ queued_events: number }>('/leads/src/rescore', {}).then((r) => ({ movedEvents: 0, rescore: r }));
  const mergeEnd = performance.now();
  const passes = await rescoreDone();
  const rescoreEnd = performance.now();
  running = false;
  await other;
  const { rows } = await client.query<{ n: number; total: number }>(
    `select count(*)::int as n, (select total_score from lead_scores s where s.org_id = $1 and s.unit_id = $2 and s.lead_id = $3
       and s.ruleset_id = (select id from rulesets where unit_id = $2 and is_primary))::int as total
       from event_scores where org_id = $1 and unit_id = $2 and lead_id = $3`,
    [orgId, unitId, REPLAYED],
  );
  lines.push(
    `${OP}: POST /leads/${OP === 'merge' ? 'merge' : 'src/rescore'} ${fixed(mergeEnd - mergeStart, 0)} ms (moved ${merged.movedEvents} events, queued ${merged.rescore.queued_events}); ` +
      `target rescored by the worker ${fixed((rescoreEnd - mergeEnd) / 1000, 2)} s after the reply (${rows[0]?.n} score rows, total ${rows[0]?.total}; ` +
      `the target's queue shrank in ${passes.steps} steps of ~${fixed(passes.perStep, 0)} events, one per ${fixed(passes.msPerStep, 0)} ms)`,
    '',
    '| other lead, event → score | events | p50 ms | p95 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    `| before the merge (${BEFORE_S} s) | ${latencies(sent, start, mergeStart)} |`,
    `| during the merge request | ${latencies(sent, mergeStart, mergeEnd)} |`,
    `| during the target's rescore | ${latencies(sent, mergeEnd, rescoreEnd)} |`,
  );
} finally {
  await Promise.all([client.end(), poller.end()]);
  await server.stop();
  removeLogs(server.logFile);
}
console.log(['', header, ...lines, '', `load average after: ${loadAverage()}`].join('\n'));
