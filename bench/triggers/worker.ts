/**
 * npm run bench:triggers:worker — the scoring worker with 20 active triggers against the same worker
 * with none, this checkout and another (BENCH_BASE_DIR, e.g. a worktree of main) side by side, in
 * alternating drains so both see the same machine load (issue 12: "with 20 active triggers the
 * worker's events/s falls by at most 15 %").
 * Two databases (one migrated by each checkout), each set up as bench:scoring:direct does (one OU,
 * BENCH_LEADS leads, 20 rules over 10 types, one inorganic filter) plus 20 triggers that fire often
 * (a third each milestones, `every` sequences and patterns; email actions, so deliveries accumulate
 * unsent). Each of BENCH_ROUNDS rounds queues BENCH_CHUNK events per (checkout, triggers on/off) and
 * drains them with the worker (SCORING_CONCURRENCY passes of SCORING_BATCH_SIZE), in an order that
 * alternates between rounds. "Off" runs the worker without the afterScoring hook. Each side runs its
 * checkout's own worker and trigger evaluation. Besides events/s it
 * reports CPU seconds per 1,000 events (the database backends + this process, from /proc; the
 * database's share apart), which the other sessions' load moves much less than the wall clock, and
 * every side's fireTriggers alone on one batch of 600 events of this checkout's database, rolled back
 * (evaluateAlone): the least noisy A/B of a change to the evaluation itself.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import pino from 'pino';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { provisionScoringDefaults } from '../../src/modules/scoring/scoring.service.js';
import type { ClaimedEvent } from '../../src/modules/scoring-worker/scoring-worker.repository.js';
import type { createScoringWorker } from '../../src/modules/scoring-worker/scoring-worker.js';
import type { fireTriggers } from '../../src/modules/triggers/trigger-firing.js';
import { BENCH_ADMIN_URL, dbName, emptyDatabase } from '../lib/db.js';
import { describeCheckout } from '../lib/processes.js';
import { fixed, fmt, loadAverage, median, runHeader } from '../lib/stats.js';

const env = process.env;
/** 100k as the other benches (until issue 12 session 7: 10k, bench:scoring:direct's, where each lead gets ~5 events per run: a concentrated stress case). */
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const CHUNK = Number(env.BENCH_CHUNK ?? 6000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 4);
const CONCURRENCY = Number(env.SCORING_CONCURRENCY ?? 2);
const BATCH = Number(env.SCORING_BATCH_SIZE ?? 1000);
/** The pass-time target (SCORING_PASS_TARGET_MS, the worker's 250 ms when unset): passes shrink as triggers add time to each. */
const PASS_TARGET_MS = env.SCORING_PASS_TARGET_MS ? Number(env.SCORING_PASS_TARGET_MS) : undefined;
const BASE_DIR = env.BENCH_BASE_DIR ? resolve(env.BENCH_BASE_DIR) : '';
const TYPES = ['page_view', 'email_open', 'email_click', 'form_submit', 'demo_request', 'webinar_join', 'pricing_view', 'signup', 'download', 'video_play'];
/** A checkout's fireTriggers (its answer, a count or the written firings, is not used here). */
type Fire = (...args: Parameters<typeof fireTriggers>) => Promise<unknown>;

interface Side {
  label: string;
  database: Database;
  fire: Fire;
  /** The checkout's scoring worker (before issue 12 session 6 both sides ran this checkout's). */
  createWorker: typeof createScoringWorker;
  tenant: { org_id: string; unit_id: string };
  /** Its database's URL. */
  url: string;
  rates: { off: number[]; on: number[] };
  /** CPU seconds per 1,000 events (the database's backends + this process), per drain. */
  cpu: { off: number[]; on: number[] };
  /** Of those, the database backends' share (the rest is this process: the worker and its evaluation). */
  dbCpu: { off: number[]; on: number[] };
  firings: number;
  /** Wall ms inside fireTriggers per 1,000 events, per drain with triggers on. */
  fireMs: number[];
  /** Mean events per pass, per drain: the pass sizer shrinks passes that take longer. */
  passSize: { off: number[]; on: number[] };
  /** fireTriggers alone on one fixed batch of this checkout's database, rolled back (see evaluateAlone), or why it failed there. */
  alone?: { wallMs: number; cpuMs: number; fired: number } | string;
}

/**
 * BENCH_TRIGGER_MIX: `often` (default), the stress case: low milestones every lead crosses within a
 * few events, sequences firing `every` time their steps complete, patterns met by three events, so
 * one event in 3–4 fires something. `alerts`: the same 20 triggers as a team sets them up to be
 * told about a lead: milestones at 100–480 points, sequences once per lead (the seed's default
 * fire_mode), patterns of a burst (three of one type and one of another within 10 minutes).
 * `quiet`: the alerts triggers made unable to fire while every candidate is still read (a first step
 * and a condition on a type never sent; milestones past any score): what evaluation costs without
 * the firings' writes.
 */
const MIX = env.BENCH_TRIGGER_MIX === 'alerts' || env.BENCH_TRIGGER_MIX === 'quiet' ? env.BENCH_TRIGGER_MIX : 'often';

/** Trigger i: a milestone, a two-step sequence or a pattern over the event types, in turn. */
function triggerRow(tenant: Side['tenant'], i: number) {
  const quiet = MIX === 'quiet';
  const a = quiet && i % 3 !== 0 ? 'never_sent' : (TYPES[i % TYPES.length] as string);
  const b = TYPES[(i + 3) % TYPES.length] as string;
  const base = { ...tenant, emails: ['bench@example.com'] };
  const alerts = MIX !== 'often';
  if (i % 3 === 0) return { ...base, kind: 'milestone' as const, event_type: a, score_threshold: quiet ? 1_000_000 : alerts ? 100 + 20 * i : 40 + i };
  if (i % 3 === 1) return { ...base, kind: 'sequence' as const, event_types: [a, b], ordered: true, fire_mode: alerts ? ('once' as const) : ('every' as const), window_seconds: 1, window_unit: 'hours' as const };
  return { ...base, kind: 'pattern' as const, window_seconds: 600, conditions: JSON.stringify([{ event_type: a, min_count: alerts ? 3 : 2 }, { event_type: b, min_count: 1 }]) };
}

/** A database migrated by `dir`'s migrations, set up as bench:scoring:direct does, with 20 triggers. */
async function setUp(label: string, dir: string): Promise<Side> {
  const load = async <T>(path: string) => (await import(pathToFileURL(join(dir, path)).href)) as T;
  const { fireTriggers: fire } = await load<{ fireTriggers: Fire }>('src/modules/triggers/trigger-firing.ts');
  const { createScoringWorker: createWorker } = await load<{ createScoringWorker: typeof createScoringWorker }>('src/modules/scoring-worker/scoring-worker.ts');
  const u = new URL(BENCH_ADMIN_URL);
  u.pathname = `/${dbName(`leadvibe_bench_trigger_worker_${label}`)}`;
  await emptyDatabase(u.pathname.slice(1));
  const database = await createDatabase({ kind: 'postgres', url: u.toString(), poolSize: CONCURRENCY + 4 });
  await migrate(database, join(dir, 'migrations'));
  const db = database.db;
  const org = await db.insertInto('organizations').values({ name: 'Bench', slug: 'bench', webhook_secret: randomBytes(16).toString('hex') }).returning('id').executeTakeFirstOrThrow();
  const unit = await db.insertInto('org_units').values({ org_id: org.id, name: 'Default', slug: 'default' }).returning('id').executeTakeFirstOrThrow();
  const tenant = { org_id: org.id, unit_id: unit.id };
  await provisionScoringDefaults(db, { orgId: org.id, unitId: unit.id });
  const ruleset = await db.selectFrom('rulesets').select('id').where('unit_id', '=', unit.id).executeTakeFirstOrThrow();
  const rule = (t: string, i: number, k: number) => ({ ...tenant, ruleset_id: ruleset.id, event_type: t, weight: (i % 5) + 1 + k * 2, icon: null, start_at: null, end_at: null, created_by: null, updated_by: null });
  await db.insertInto('scoring_rules').values(TYPES.flatMap((t, i) => [0, 1].map((k) => rule(t, i, k)))).execute();
  await db.insertInto('inorganic_filters').values({ ...tenant, event_type: 'video_play', count_threshold: 20, time_window_ms: 1000, created_by: null, updated_by: null }).execute();
  await db.insertInto('triggers').values(Array.from({ length: 20 }, (_, i) => triggerRow(tenant, i))).execute();
  await sql`insert into leads (org_id, unit_id, id) select ${org.id}, ${unit.id}, 'lead-' || g from generate_series(1, ${LEADS}) g`.execute(db);
  return { label, database, fire, createWorker, tenant, url: u.toString(), rates: { off: [], on: [] }, cpu: { off: [], on: [] }, dbCpu: { off: [], on: [] }, firings: 0, fireMs: [], passSize: { off: [], on: [] } };
}

/** Queues `n` events for random leads in one statement, as ingestion does (migrations/0014). */
async function ingest(side: Side, n: number): Promise<void> {
  const { org_id, unit_id } = side.tenant;
  await sql`with e as (
      insert into events (org_id, unit_id, lead_id, event_type, channel, occurred_at)
      select ${org_id}, ${unit_id}, 'lead-' || (1 + floor(random() * ${LEADS}))::int,
             (${TYPES}::text[])[1 + floor(random() * ${TYPES.length})::int], 'web',
             -- milliseconds, as the API and the import store times (until issue 12 session 6: now(), with
             -- microseconds, whose events the evaluation's history read missed; fixed then)
             date_trunc('milliseconds', now())
      from generate_series(1, ${n})
      returning org_id, id, unit_id, lead_id, seq
    )
    insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq) select org_id, id, unit_id, lead_id, seq from e`.execute(side.database.db);
}

const count = async (side: Side, table: 'trigger_firings') =>
  Number((await side.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** A process's user + system CPU seconds from /proc (0 when it is gone or /proc is not there). */
function procCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU used so far by the side's database backends (by pid) and by this process. The machine is
 * shared, so events/s move with the others' load; CPU per event does much less (PostgreSQL must run
 * on this machine for /proc to see its backends; else the column reads 0).
 */
async function cpuNow(side: Side): Promise<{ backends: Map<number, number>; self: number }> {
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(side.database.db);
  const { user, system } = process.cpuUsage();
  return { backends: new Map(rows.map((r) => [r.pid, procCpu(r.pid)])), self: (user + system) / 1e6 };
}

/** CPU seconds since `before`: the database's backends and this process, apart. */
function cpuSince(before: Awaited<ReturnType<typeof cpuNow>>, after: Awaited<ReturnType<typeof cpuNow>>): { database: number; worker: number } {
  let database = 0;
  for (const [pid, cpu] of after.backends) database += cpu - (before.backends.get(pid) ?? 0);
  return { database, worker: after.self - before.self };
}

/** Queues CHUNK events and drains them; answers events/s. */
async function drainChunk(side: Side, on: boolean): Promise<void> {
  await ingest(side, CHUNK);
  await sql`analyze events`.execute(side.database.db);
  const before = await count(side, 'trigger_firings');
  let fireMs = 0;
  let passes = 0;
  const fire: Fire = async (trx, r) => {
    const t = performance.now();
    await side.fire(trx, r);
    fireMs += performance.now() - t;
  };
  const worker = side.createWorker({ database: side.database, log: pino({ level: 'warn' }), batchSize: BATCH, concurrency: CONCURRENCY, passTargetMs: PASS_TARGET_MS, beforeCommit: () => void passes++, afterScoring: on ? async (trx, r) => void (await fire(trx, r)) : undefined });
  const cpu0 = await cpuNow(side);
  const t0 = performance.now();
  const drained = (await Promise.all(Array.from({ length: CONCURRENCY }, () => worker.drain()))).reduce((a, b) => a + b, 0);
  side.rates[on ? 'on' : 'off'].push(drained / ((performance.now() - t0) / 1000));
  const used = cpuSince(cpu0, await cpuNow(side));
  side.cpu[on ? 'on' : 'off'].push(((used.database + used.worker) / drained) * 1000);
  side.dbCpu[on ? 'on' : 'off'].push((used.database / drained) * 1000);
  side.firings += (await count(side, 'trigger_firings')) - before;
  if (on) side.fireMs.push((fireMs / drained) * 1000);
  side.passSize[on ? 'on' : 'off'].push(drained / passes);
}

const ALONE_CALLS = 40;
const WARM_UP_CALLS = 5;
type AloneBatch = Parameters<Fire>[1];
interface AloneRun {
  db: Database;
  walls: number[];
  cpuMs: number;
  fired: number;
  /** Why this side's evaluation failed on this checkout's database (then it is left out). */
  error: string | null;
}

/** 600 of the database's latest events, in ingestion order, each "scored" to a pseudo-random score up to 500. */
async function aloneBatch(db: Database['db']): Promise<AloneBatch> {
  const { rows } = await sql<ClaimedEvent & { score: number }>`select e.*, abs(hashtext(e.id::text)) % 500 as score
    from (select * from events where decay_id is null order by seq desc limit 3000) e order by md5(e.id::text) limit 600`.execute(db);
  const events = rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => ({ ...r, seq: Number(r.seq), attempts: 0, queue_row: '(0,1)' }));
  const outcomes = events.map((e) => ({ unitId: e.unit_id, leadId: e.lead_id, eventId: e.id, rulesetId: '', delta: 1, score: Number(e.score), level: null, surged: false, multiplier: 1, sessionEvents: 1, primary: true }));
  return { events, outcomes };
}

/** One block of a side's calls, each rolled back; the first WARM_UP_CALLS are not counted. */
async function timeBlock(side: Side, run: AloneRun, batch: AloneBatch): Promise<void> {
  for (let i = 0; i < WARM_UP_CALLS + ALONE_CALLS / 2 && run.error === null; i++) {
    const counted = i >= WARM_UP_CALLS;
    const cpu0 = process.cpuUsage();
    await run.db.db.transaction().execute(async (trx) => {
      const t = performance.now();
      const out = await side.fire(trx, batch);
      if (counted) run.walls.push(performance.now() - t);
      if (counted) run.fired += Array.isArray(out) ? out.length : Number(out);
      throw new RolledBack();
    }).catch((e: unknown) => { if (!(e instanceof RolledBack)) run.error = e instanceof Error ? e.message : String(e); });
    const cpu = process.cpuUsage(cpu0);
    if (counted) run.cpuMs += (cpu.user + cpu.system) / 1000;
  }
}

/**
 * fireTriggers alone: every side's, ALONE_CALLS times each on one batch of this checkout's database,
 * each call in a transaction rolled back, so all sides see the same input and the same machine: the
 * median wall time, this process's CPU per call (which the machine's load moves far less than a
 * drain) and the firings per call. In blocks (the sides, then the reverse), each after warm-up
 * calls, so a block's garbage is collected in the block.
 */
async function evaluateAlone(sides: Side[]): Promise<void> {
  const own = sides[sides.length - 1] as Side;
  const batch = await aloneBatch(own.database.db);
  // One connection of its own per side: each checkout prepares its statements under the same names.
  const runs = new Map<Side, AloneRun>();
  for (const side of sides) runs.set(side, { db: await createDatabase({ kind: 'postgres', url: own.url, poolSize: 1 }), walls: [], cpuMs: 0, fired: 0, error: null });
  for (const order of [sides, [...sides].reverse()]) for (const side of order) await timeBlock(side, runs.get(side) as AloneRun, batch);
  for (const [side, run] of runs) {
    side.alone = run.error ?? { wallMs: median(run.walls), cpuMs: run.cpuMs / ALONE_CALLS, fired: run.fired / ALONE_CALLS };
    await run.db.close();
  }
}
class RolledBack extends Error {}

const header = runHeader('npm run bench:triggers:worker', { BENCH_LEADS: LEADS, BENCH_CHUNK: CHUNK, BENCH_ROUNDS: ROUNDS, SCORING_CONCURRENCY: CONCURRENCY, SCORING_BATCH_SIZE: BATCH, SCORING_PASS_TARGET_MS: PASS_TARGET_MS ?? '(default)', BENCH_TRIGGER_MIX: MIX });
const sides = [await setUp('branch', join(import.meta.dirname, '../..'))];
if (BASE_DIR) sides.unshift(await setUp('base', BASE_DIR));
// BENCH_ONLY=true or false: only the drains with (or without) triggers, e.g. to profile one of them.
const runs = sides.flatMap((side) => [false, true].map((on) => ({ side, on }))).filter((r) => !env.BENCH_ONLY || String(r.on) === env.BENCH_ONLY);
for (let r = 0; r < ROUNDS; r++) for (const { side, on } of r % 2 ? [...runs].reverse() : runs) await drainChunk(side, on);
// Not when profiling one kind of drain (BENCH_ONLY): it would add its own calls to the profile.
if (!env.BENCH_ONLY) await evaluateAlone(sides);

const lines = ['', header, `base checkout: ${BASE_DIR ? describeCheckout(BASE_DIR) : '(none)'}`, '', '| checkout | no triggers, events/s | 20 triggers, events/s | ratio per round | median ratio | firings per 1,000 events |', '|---|---|---|---|---:|---:|'];
for (const s of sides) {
  const ratios = s.rates.on.map((v, i) => v / (s.rates.off[i] as number));
  lines.push(`| ${s.label} | ${s.rates.off.map(fmt).join(' · ')} | ${s.rates.on.map(fmt).join(' · ')} | ${ratios.map((x) => fixed(x)).join(' · ')} | **${fixed(median(ratios))}** | ${fmt((s.firings / (CHUNK * ROUNDS)) * 1000)} |`);
}
// CPU per event: none / 20 is the throughput ratio a CPU-bound worker would see on a machine of its own.
lines.push('', '| checkout | CPU s per 1,000 events, no triggers | with 20 triggers | none / 20 per round | median |', '|---|---|---|---|---:|');
for (const s of sides) {
  const ratios = s.cpu.on.map((v, i) => (s.cpu.off[i] as number) / v);
  lines.push(`| ${s.label} | ${s.cpu.off.map((x) => fixed(x)).join(' · ')} | ${s.cpu.on.map((x) => fixed(x)).join(' · ')} | ${ratios.map((x) => fixed(x)).join(' · ')} | **${fixed(median(ratios))}** |`);
}
// Wall time inside fireTriggers (both loops together, so up to twice the drain's wall time) against the drain's.
lines.push('', '| checkout | ms in fireTriggers per 1,000 events (both loops) | drain ms per 1,000 events, none / 20 triggers | events per pass, none / 20 triggers | database CPU ms per 1,000 events, none / 20 triggers |', '|---|---|---|---|---|');
for (const s of sides) {
  const drainMs = (rates: number[]) => rates.map((r) => fixed(1e6 / r, 0)).join(' · ');
  const sizes = (xs: number[]) => xs.map((x) => fixed(x, 0)).join(' · ');
  const dbMs = (xs: number[]) => xs.map((x) => fixed(x * 1000, 0)).join(' · ');
  lines.push(`| ${s.label} | ${s.fireMs.map((x) => fixed(x, 0)).join(' · ')} | ${drainMs(s.rates.off)} / ${drainMs(s.rates.on)} | ${sizes(s.passSize.off)} / ${sizes(s.passSize.on)} | ${dbMs(s.dbCpu.off)} / ${dbMs(s.dbCpu.on)} |`);
}
lines.push('', `| checkout | fireTriggers alone on 600 events, median ms per call | this process's CPU ms per call | firings per call |`, '|---|---:|---:|---:|');
for (const s of sides) {
  const a = s.alone;
  lines.push(typeof a === 'object' ? `| ${s.label} | ${fixed(a.wallMs, 1)} | ${fixed(a.cpuMs, 1)} | ${fixed(a.fired, 0)} |` : `| ${s.label} | n/a: ${a ?? 'not run'} | | |`);
}
lines.push('', `load average now ${loadAverage()}`, '');
process.stdout.write(lines.join('\n'));
for (const s of sides) await s.database.close();
