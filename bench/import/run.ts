/**
 * npm run bench:import — a generated CSV (aliases over BENCH_LEADS distinct leads) through
 * POST /events/import of a server with the scoring worker on (as users run it; BENCH_SCORING=false
 * for the old configuration), against a plain COPY of the same rows into the same events table
 * (worker off during the COPY), in the same run. Reports rows/s of both, the ratio, the server's
 * peak RSS, CPU, and the scoring backlog when the import ends. See bench/README.md.
 *   BENCH_ROWS (default 1000000)  BENCH_LEADS (default 100000)  BENCH_SCORING (default true)
 *   BENCH_SERVER_DIR: one checkout, or several separated by commas (e.g. /work/main,.), each
 *   imported in turn against the same COPY baseline, each into its own empty database.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { createCpuMeter, type CpuReport } from '../lib/cpu.js';
import { appDatabase, dbName, drainWithin, freshDatabase, queueDepth, withClient, BENCH_ADMIN_URL } from '../lib/db.js';
import { BENCH_TMP, describeCheckout, removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, loadAverage, runHeader } from '../lib/stats.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const SCORING = process.env.BENCH_SCORING !== 'false';
const DRAIN_TIMEOUT = Number(process.env.BENCH_DRAIN_TIMEOUT ?? 900);
const DIR = BENCH_TMP;
const SERVER_DIRS = (process.env.BENCH_SERVER_DIR ?? '').split(',').map((d) => d.trim());
const TYPES = ['page_view', 'email_open', 'webinar_join', 'crm_update', 'form_submit'];

/** A tiny deterministic PRNG, so the import and the COPY see the same rows. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function* rows(leadIds: string[] | null, orgId: string, unitId: string): Generator<string> {
  const random = prng(42);
  const start = Date.parse('2025-01-01T00:00:00Z');
  yield leadIds ? '' : 'event_type,timestamp,metadata,email,cookie\n';
  for (let i = 0; i < ROWS; i++) {
    const lead = Math.floor(random() * LEADS);
    const type = TYPES[i % TYPES.length] as string;
    const at = new Date(start + i * 1000).toISOString();
    const metadata = `{"path":"/p/${i % 100}","n":${i}}`;
    if (leadIds) {
      const channel = type.startsWith('email_') ? 'email' : type.startsWith('webinar_') ? 'webinar' : type.startsWith('crm_') ? 'crm' : 'web';
      yield `${orgId},${unitId},${leadIds[lead]},${type},${channel},"${metadata.replaceAll('"', '""')}",${at}\n`;
    } else {
      yield `${type},${at},"${metadata.replaceAll('"', '""')}",lead-${lead}@bench.io,ck-${lead}\n`;
    }
  }
}

/** Streams the file as a multipart `file` part; answers the response body. */
async function upload(port: number, authorization: string, path: string): Promise<string> {
  const boundary = `----bench${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="events.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/events/import',
    headers: {
      authorization,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + statSync(path).size + tail.length,
    },
  });
  const response = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 202 ? resolve(body) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
  req.write(head);
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    if (!req.write(chunk)) await once(req, 'drain');
  }
  req.end(tail);
  return response;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function psqlCopy(url: string, file: string): Promise<void> {
  const copy =
    `\\copy events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at) from '${file}' with (format csv)`;
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', copy], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}`))));
  });
}

mkdirSync(DIR, { recursive: true });
const header = runHeader('npm run bench:import', {
  BENCH_ROWS: ROWS, BENCH_LEADS: LEADS, BENCH_SCORING: String(SCORING), BENCH_DRAIN_TIMEOUT: DRAIN_TIMEOUT, BENCH_SERVER_DIR: SERVER_DIRS.join(',') || '.',
});
const serverEnv = { IMPORT_MAX_BYTES: String(2 * 1024 ** 3) };
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const dropDatabase = (db: string) => withClient(BENCH_ADMIN_URL, (admin) => admin.query(`drop database if exists ${db} with (force)`));

/** The baseline: the same rows, leads pre-resolved, through one psql \copy into the events table of this checkout's schema. */
async function copyBaseline(): Promise<{ seconds: number; load: string }> {
  const name = dbName('leadvibe_bench_import_copy');
  const url = await freshDatabase(name);
  // The COPY baseline runs with the worker off, so it is the plain single-stream COPY it always was.
  const copyServer = await startAppServer(url, { ...serverEnv, BENCH_SCORING: 'false', BENCH_SERVER_DIR: '' }, 'import-copy');
  const leadIds = Array.from({ length: LEADS }, () => randomUUID());
  const { orgId, unitId } = copyServer.ready;
  await withClient(url, (c) => c.query(`insert into leads (org_id, unit_id, id) select $1, $2, unnest($3::text[])`, [orgId, unitId, leadIds]));
  const copyFile = join(DIR, `copy-${ROWS}.csv`);
  await writeLines(copyFile, rows(leadIds, orgId, unitId));
  const t = performance.now();
  await psqlCopy(url, copyFile);
  const seconds = (performance.now() - t) / 1000;
  await copyServer.stop();
  removeLogs(copyServer.logFile);
  await dropDatabase(name);
  return { seconds, load: loadAverage() };
}

interface ImportRun {
  dir: string;
  seconds: number;
  rssBefore: number;
  rssPeak: number;
  rssPeakWithDrain: number;
  cpu: CpuReport;
  depthEnd: number;
  drain: { seconds: number; left: number };
  body: { accepted: number; rejected: number };
  counts: { events: number; leads: number; aliases: number };
  load: string;
}

/** POST /events/import of the checkout `dir` ('' = this one), on its own empty database, worker as BENCH_SCORING says. */
async function importRun(dir: string, index: number, importFile: string): Promise<ImportRun> {
  const name = dbName(`leadvibe_bench_import_${index}`);
  const url = await appDatabase(name, dir);
  const server = await startAppServer(url, { ...serverEnv, BENCH_SCORING: String(SCORING), BENCH_SERVER_DIR: dir }, `import-server-${index}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
    const rssBefore = peakRssMb(server.pid);
    const stopCpu = cpu.start();
    const t = performance.now();
    const body = JSON.parse(await upload(server.ready.port, server.ready.authorization, importFile)) as ImportRun['body'];
    const seconds = (performance.now() - t) / 1000;
    const cpuUsed = stopCpu();
    const rssPeak = peakRssMb(server.pid);
    const depthEnd = SCORING ? await queueDepth(client) : 0;
    const drain = SCORING ? await drainWithin(client, DRAIN_TIMEOUT) : { seconds: 0, left: 0 };
    const rssPeakWithDrain = peakRssMb(server.pid);
    const { rows: counted } = await client.query<ImportRun['counts']>(
      `select (select count(*)::int from events) as events, (select count(*)::int from leads) as leads,
              (select count(*)::int from lead_aliases) as aliases`,
    );
    cpu.stop();
    return {
      dir, seconds, rssBefore, rssPeak, rssPeakWithDrain, cpu: cpuUsed, depthEnd, drain, body,
      counts: counted[0] ?? { events: 0, leads: 0, aliases: 0 }, load: loadAverage(),
    };
  } finally {
    await client.end();
    await server.stop();
    removeLogs(server.logFile);
    await dropDatabase(name);
  }
}

function reportRun(r: ImportRun, copyRate: number): string[] {
  const rate = ROWS / r.seconds;
  const scoring = !SCORING
    ? 'scoring worker off'
    : `scoring: ${fmt(r.depthEnd)} events unscored when the import answered (${fmt((ROWS - r.depthEnd) / r.seconds)} scored/s during it), ${r.drain.left === 0 ? `drained ${r.drain.seconds.toFixed(1)} s later` : `${fmt(r.drain.left)} still unscored ${r.drain.seconds.toFixed(0)} s later (BENCH_DRAIN_TIMEOUT)`}`;
  return [
    `### ${describeCheckout(r.dir)}`,
    `POST /events/import: ${r.seconds.toFixed(1)} s, **${fmt(rate)} rows/s**, ratio to COPY **${(rate / copyRate).toFixed(3)}**`,
    `server peak RSS: **${r.rssPeak.toFixed(0)} MB** during the import (before it: ${r.rssBefore.toFixed(0)} MB; ${r.rssPeakWithDrain.toFixed(0)} MB including the drain after it)`,
    `CPU during the import: server ${fixed(r.cpu.server ?? 0)} cores, its PostgreSQL backends ${fixed(r.cpu['pg app'] ?? 0)}, PostgreSQL shared ${fixed(r.cpu['pg shared'] ?? 0)}, other databases ${fixed(r.cpu['pg other'] ?? 0)}, machine busy ${fixed(r.cpu.machineBusyCores)}`,
    scoring,
    `answer: accepted ${fmt(r.body.accepted)}, rejected ${fmt(r.body.rejected)}; in the database: ${fmt(r.counts.events)} events, ${fmt(r.counts.leads)} leads, ${fmt(r.counts.aliases)} aliases; load average after: ${r.load}`,
    '',
  ];
}

const copy = await copyBaseline();
// The CSV for the import: aliases only, the server resolves them.
const importFile = join(DIR, `import-${ROWS}.csv`);
await writeLines(importFile, rows(null, '', ''));
const runs: ImportRun[] = [];
for (const [i, dir] of SERVER_DIRS.entries()) {
  runs.push(await importRun(dir, i, importFile));
  process.stderr.write(`import ${i + 1}/${SERVER_DIRS.length} done (load ${loadAverage()})\n`);
}
const copyRate = ROWS / copy.seconds;
process.stdout.write(
  [
    '',
    header,
    `${fmt(ROWS)} rows, aliases over ${fmt(LEADS)} leads; CSV ${(statSync(importFile).size / 1024 ** 2).toFixed(0)} MB; scoring worker ${SCORING ? 'on' : 'off'} during the import`,
    `plain COPY (psql \\copy, leads pre-resolved, worker off, this checkout's schema): ${copy.seconds.toFixed(1)} s, **${fmt(copyRate)} rows/s** (load after: ${copy.load})`,
    '',
    ...runs.flatMap((r) => reportRun(r, copyRate)),
  ].join('\n'),
);
