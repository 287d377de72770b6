/**
 * npm run bench:breakdown — where the time goes per ingested event with the scoring worker on:
 * POST /events under load (as bench:ingest), then the worker drains, and for that window:
 * PostgreSQL's statement log of the bench database (calls and time per statement), its WAL by
 * relation (pg_waldump), table and index growth, row counters (HOT or not), audit rows, NOTIFYs,
 * CPU of the server and of PostgreSQL, and optionally auto_explain plans and a CPU profile.
 * Logging is set on the bench database only (ALTER DATABASE … SET) and reset at the end.
 * Knobs: BENCH_DURATION (30), BENCH_LEADS, BENCH_NEW_LEADS, BENCH_CONNECTIONS, BENCH_RATE (fixed
 * rate instead of full load), BENCH_AUTO_EXPLAIN=1 (sampled plans with per-node time and WAL),
 * BENCH_CPU_PROF=<dir> (server profile of the load).
 */
import pg from 'pg';
import { createCpuMeter } from '../lib/cpu.js';
import { appDatabase, dbName, seedLeads, waitForDrain, withClient } from '../lib/db.js';
import { eventBodies, load } from '../lib/load.js';
import { entriesOf, fileSize, logFileOf, plansOf, statementStats } from '../lib/pglog.js';
import { currentLsn, lsnDiff, relationStats, rowCounts } from '../lib/pgstats.js';
import { removeLogs, startAppServer } from '../lib/processes.js';
import { loadAverage, runHeader } from '../lib/stats.js';
import { relationsByFilenode, walBreakdown, walLocation, type WalBreakdown } from '../lib/waldump.js';
import { classifyStatement, printBreakdown } from './report.js';

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 30);
const LEADS = Number(env.BENCH_LEADS ?? 100_000);
const NEW_SHARE = Number(env.BENCH_NEW_LEADS ?? 0.1);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(env.BENCH_RATE ?? 0) || undefined;
const AUTO_EXPLAIN = env.BENCH_AUTO_EXPLAIN === '1';

const header = runHeader('npm run bench:breakdown', {
  BENCH_DURATION: DURATION, BENCH_LEADS: LEADS, BENCH_NEW_LEADS: NEW_SHARE, BENCH_CONNECTIONS: CONNECTIONS,
  BENCH_RATE: RATE ?? 'full load', BENCH_AUTO_EXPLAIN: String(AUTO_EXPLAIN), BENCH_CPU_PROF: env.BENCH_CPU_PROF ?? '',
});
const name = dbName('leadvibe_bench_breakdown');
const url = await appDatabase(name);
// Per-database settings: new sessions of this database only (the server's pool opens after this).
const settings: Array<[string, string]> = [
  ['log_min_duration_statement', '0'],
  ['log_parameter_max_length', '0'],
  ...(AUTO_EXPLAIN
    ? ([
        ['session_preload_libraries', 'auto_explain'],
        ['auto_explain.log_min_duration', '0'],
        ['auto_explain.log_analyze', 'on'],
        ['auto_explain.log_wal', 'on'],
        ['auto_explain.log_triggers', 'on'],
        ['auto_explain.log_format', 'json'],
        ['auto_explain.sample_rate', env.BENCH_AUTO_EXPLAIN_SAMPLE ?? '0.2'],
      ] as Array<[string, string]>)
    : []),
];
await withClient(url, async (c) => {
  for (const [k, v] of settings) await c.query(`alter database ${name} set ${k} = '${v}'`);
});

const server = await startAppServer(url, {}, 'breakdown-server');
process.on('uncaughtException', (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  void server.stop().then(() => process.exit(1));
});
const { port, authorization, orgId, unitId } = server.ready;
await seedLeads(url, orgId, unitId, LEADS);
const client = new pg.Client({ connectionString: url });
await client.connect();
const bodies = eventBodies(LEADS, NEW_SHARE);
await load({ port, path: '/events', authorization, connections: CONNECTIONS, duration: 3, body: bodies.next, rate: RATE });
await waitForDrain(client);
await client.query('/* bench */ vacuum analyze');

// NOTIFYs as a listener receives them (one per pg_notify call, identical ones in a transaction folded).
const listener = new pg.Client({ connectionString: url });
await listener.connect();
const notifies = new Map<string, { count: number; bytes: number }>();
listener.on('notification', (msg) => {
  const kind = msg.channel === 'lv_live' ? `lv_live ${(/"name":"(\w+)"/.exec(msg.payload ?? '') ?? [])[1]}` : msg.channel;
  const n = notifies.get(kind) ?? { count: 0, bytes: 0 };
  notifies.set(kind, { count: n.count + 1, bytes: n.bytes + Buffer.byteLength(msg.payload ?? '') });
});
await listener.query('/* bench */ listen lv_live');
await listener.query('/* bench */ listen lv_ingested');

const logFile = await logFileOf(client);
const wal = await walLocation(client).catch(() => null);
const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
await new Promise((r) => setTimeout(r, 1500)); // counters of the warm-up reach the shared statistics
// A temporary replication slot keeps the window's WAL until pg_waldump has read it (a checkpoint
// would otherwise recycle it); it goes away with this session, even if the bench dies.
if (wal) await client.query(`/* bench */ select pg_create_physical_replication_slot('lv_bench_${process.pid}', true, true)`);
const before = { stats: await relationStats(client), rows: await rowCounts(client), lsn: await currentLsn(client), log: logFile ? fileSize(logFile) : 0 };
if (env.BENCH_CPU_PROF) await server.ask({ cmd: 'profile-start' });
const stopLoadCpu = cpu.start();
const result = await load({ port, path: '/events', authorization, connections: CONNECTIONS, duration: DURATION, body: bodies.next, rate: RATE });
const loadCpu = stopLoadCpu();
// The profile covers the load only: during the drain the server mostly waits for PostgreSQL.
const profile = env.BENCH_CPU_PROF ? (await server.ask<{ file: string }>({ cmd: 'profile-stop' })).file : null;
const stopDrainCpu = cpu.start();
const drainSeconds = await waitForDrain(client, 3600);
const drainCpu = stopDrainCpu();
await new Promise((r) => setTimeout(r, 1500)); // audit buffer, live outbox and statistics flushed
const after = { stats: await relationStats(client), rows: await rowCounts(client), lsn: await currentLsn(client) };

let walResult: WalBreakdown | null = null;
if (wal) {
  const { rows } = await client.query<{ oid: number }>('/* bench */ select oid::int from pg_database where datname = current_database()');
  walResult = await walBreakdown(wal, before.lsn, after.lsn, rows[0]?.oid ?? 0, await relationsByFilenode(client)).catch((err: Error) => {
    process.stderr.write(`WAL breakdown unavailable: ${err.message}\n`);
    return null;
  });
}
if (wal) await client.query(`/* bench */ select pg_drop_replication_slot('lv_bench_${process.pid}')`);
const entries = logFile ? entriesOf(logFile, before.log, name) : [];
// Foreign-key check triggers by constraint, to read auto_explain's trigger times.
const { rows: fkRows } = await client.query<{ tgname: string; label: string }>(
  `/* bench */ select t.tgname, c.conname || ' → ' || c.confrelid::regclass::text as label
   from pg_trigger t join pg_constraint c on c.oid = t.tgconstraint where c.contype = 'f'`,
);
const triggers = new Map(fkRows.map((r) => [r.tgname, r.label]));
await withClient(url, async (c) => {
  for (const [k] of settings) await c.query(`alter database ${name} reset ${k}`);
});
await listener.end();
await client.end();
cpu.stop();
await server.stop();
removeLogs(server.logFile);

printBreakdown({
  header,
  events: result['2xx'],
  result,
  drainSeconds,
  loadCpu,
  drainCpu,
  statements: statementStats(entries, classifyStatement),
  plans: AUTO_EXPLAIN ? plansOf(entries) : [],
  triggers,
  wal: walResult,
  walTotalBytes: await withClient(url, (c) => lsnDiff(c, before.lsn, after.lsn)),
  before,
  after,
  notifies,
  profile,
  logFile,
  loadAfter: loadAverage(),
});
