/**
 * npm run bench:scoring:direct — the scoring worker alone, in this process, on real PostgreSQL (see bench/scoring/README.md).
 *  1. throughput: a backlog of BENCH_BACKLOG events over BENCH_LEADS leads, drained by one worker
 *     with SCORING_CONCURRENCY passes of SCORING_BATCH_SIZE → events/s;
 *  2. latency: events committed at BENCH_RATE/s for BENCH_DURATION s (each insert followed by the
 *     lv_ingested NOTIFY, as ingestion does) while the worker runs → p50/p99 of
 *     event_to_score_latency_seconds (ingestion received_at → score commit).
 * 20 rules over 10 event types, surge policy standard, 1 inorganic filter.
 * BENCH_TRIGGERS=n (default 0): n active triggers evaluated in the scoring transaction (a third
 * each milestones, sequences, patterns; email actions, so deliveries accumulate unsent).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import { Registry, type Histogram } from 'prom-client';
import { createDatabase } from '../../src/db/database.js';
import { provisionScoringDefaults } from '../../src/modules/scoring/scoring.service.js';
import { createScoringWorker, INGESTED_CHANNEL } from '../../src/modules/scoring-worker/scoring-worker.js';
import { fireTriggersLive } from '../../src/modules/triggers/trigger-live.js';
import { dbName, freshDatabase } from '../lib/db.js';

const LEADS = Number(process.env.BENCH_LEADS ?? 10_000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 60);
const CONCURRENCY = Number(process.env.SCORING_CONCURRENCY ?? 2);
const BATCH = Number(process.env.SCORING_BATCH_SIZE ?? 1000);
const TRIGGERS = Number(process.env.BENCH_TRIGGERS ?? 0);
/** BENCH_TRIGGERS_QUIET=true: the same triggers made unable to fire (the cost of evaluating alone). */
const QUIET = process.env.BENCH_TRIGGERS_QUIET === 'true';
const TYPES = ['page_view', 'email_open', 'email_click', 'form_submit', 'demo_request', 'webinar_join', 'pricing_view', 'signup', 'download', 'video_play'];

const url = await freshDatabase(dbName('leadvibe_bench_scoring_direct'));
const database = await createDatabase({ kind: 'postgres', url, poolSize: CONCURRENCY + 4 });
const db = database.db;

const org = await db
  .insertInto('organizations')
  .values({ name: 'Bench', slug: 'bench', webhook_secret: randomBytes(16).toString('hex') })
  .returning('id')
  .executeTakeFirstOrThrow();
const unit = await db.insertInto('org_units').values({ org_id: org.id, name: 'Default', slug: 'default' }).returning('id').executeTakeFirstOrThrow();
const tenant = { org_id: org.id, unit_id: unit.id };
await provisionScoringDefaults(db, { orgId: org.id, unitId: unit.id });
const ruleset = await db.selectFrom('rulesets').select('id').where('unit_id', '=', unit.id).executeTakeFirstOrThrow();
await db
  .insertInto('scoring_rules')
  .values(TYPES.flatMap((t, i) => [0, 1].map((k) => ({ ...tenant, ruleset_id: ruleset.id, event_type: t, weight: (i % 5) + 1 + k * 2, icon: null, start_at: null, end_at: null, created_by: null, updated_by: null }))))
  .execute();
await db.insertInto('inorganic_filters').values({ ...tenant, event_type: 'video_play', count_threshold: 20, time_window_ms: 1000, created_by: null, updated_by: null }).execute();
/** Trigger i: a milestone, a two-step sequence or a pattern over the event types, in turn. */
function triggerRow(i: number) {
  const a = TYPES[i % TYPES.length] as string;
  const b = TYPES[(i + 3) % TYPES.length] as string;
  const base = { ...tenant, emails: ['bench@example.com'] };
  const never = QUIET ? 1_000_000 : 0;
  if (i % 3 === 0) return { ...base, kind: 'milestone' as const, event_type: a, score_threshold: 40 + i + never };
  if (i % 3 === 1) return { ...base, kind: 'sequence' as const, event_types: QUIET ? [a, b, 'never_seen'] : [a, b], ordered: true, fire_mode: 'every' as const, window_seconds: 1, window_unit: 'hours' as const };
  return { ...base, kind: 'pattern' as const, window_seconds: 600, conditions: JSON.stringify([{ event_type: a, min_count: 2 + never }, { event_type: b, min_count: 1 }]) };
}
if (TRIGGERS > 0) await db.insertInto('triggers').values(Array.from({ length: TRIGGERS }, (_, i) => triggerRow(i))).execute();
const afterScoring = TRIGGERS > 0 ? fireTriggersLive : undefined;
await sql`insert into leads (org_id, unit_id, id) select ${org.id}, ${unit.id}, 'lead-' || g from generate_series(1, ${LEADS}) g`.execute(db);

/** Inserts `n` events for random leads in one statement (one ingestion commit). */
async function ingest(n: number, at: Date): Promise<void> {
  // Queued for scoring in the same statement, as ingestion does (migrations/0014).
  await sql`with e as (
      insert into events (org_id, unit_id, lead_id, event_type, channel, occurred_at)
      select ${org.id}, ${unit.id}, 'lead-' || (1 + floor(random() * ${LEADS}))::int,
             (${TYPES}::text[])[1 + floor(random() * ${TYPES.length})::int], 'web', ${at}::timestamptz
      from generate_series(1, ${n})
      returning org_id, id, unit_id, lead_id, seq
    )
    insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq) select org_id, id, unit_id, lead_id, seq from e`.execute(db);
}

const log = pino({ level: 'warn' });

// 1. Throughput over a backlog.
for (let done = 0; done < BACKLOG; done += 10_000) await ingest(Math.min(10_000, BACKLOG - done), new Date());
// No ANALYZE here: the freshly loaded events table has no planner statistics, as after a bulk load
// into a new database; the worker gathers them itself (ensureStatistics in scoring-worker.ts).
const drainer = createScoringWorker({ database, log, batchSize: BATCH, concurrency: CONCURRENCY, afterScoring });
const t0 = performance.now();
const drained = await Promise.all(Array.from({ length: CONCURRENCY }, () => drainer.drain()));
const seconds = (performance.now() - t0) / 1000;
const throughput = drained.reduce((a, b) => a + b, 0) / seconds;

// 2. Latency at a fixed rate with the worker woken by NOTIFY.
const registry = new Registry();
const worker = createScoringWorker({ database, log, registry, batchSize: BATCH, concurrency: CONCURRENCY, pollMs: 1000, afterScoring });
await worker.start();
const tickMs = 20;
const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
const end = Date.now() + DURATION * 1000;
let sent = 0;
let next = Date.now();
while (Date.now() < end) {
  await ingest(perTick, new Date());
  await database.notify(INGESTED_CHANNEL, unit.id);
  sent += perTick;
  next += tickMs;
  const wait = next - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await worker.stop();
await worker.drain();

const histogram = registry.getSingleMetric('event_to_score_latency_seconds') as Histogram;
const { values } = await histogram.get();
const buckets = values.filter((v) => v.metricName === 'event_to_score_latency_seconds_bucket').map((v) => ({ le: Number(v.labels.le), count: v.value }));
const total = values.find((v) => v.metricName === 'event_to_score_latency_seconds_count')?.value ?? 0;
/** Quantile from cumulative buckets, interpolating linearly inside the bucket (as histogram_quantile does). */
function quantile(q: number): number {
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
const { rows: dup } = await sql<{ n: number }>`select count(*)::int as n from (select event_id from event_scores group by event_id, ruleset_id having count(*) > 1) d`.execute(db);
const elapsed = DURATION;
process.stdout.write(
  [
    '',
    `leads ${LEADS}, 20 rules, ${TRIGGERS} triggers, surge standard, SCORING_CONCURRENCY=${CONCURRENCY}, SCORING_BATCH_SIZE=${BATCH}`,
    `throughput: ${BACKLOG} backlog events drained in ${seconds.toFixed(2)} s → ${Math.round(throughput)} events/s`,
    `latency at ${RATE} events/s for ${elapsed} s (${sent} events): p50 ${(quantile(0.5) * 1000).toFixed(1)} ms, p99 ${(quantile(0.99) * 1000).toFixed(1)} ms (histogram, ${total} observations)`,
    `events scored twice: ${dup[0]?.n ?? 0}`,
    '',
  ].join('\n'),
);
await database.close();
