/**
 * npm run bench:import — a generated CSV (aliases over BENCH_LEADS distinct leads) through
 * POST /events/import of a server with the scoring worker on (as users run it; BENCH_SCORING=false
 * for the old configuration), against a plain COPY of the same rows into the same events table
 * (worker off during the COPY), in the same run. Reports rows/s of both, the ratio, the server's
 * peak RSS, CPU, and the scoring backlog when the import ends. See bench/README.md.
 *   BENCH_ROWS (default 1000000)  BENCH_LEADS (default 100000)  BENCH_SCORING (default true)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { createCpuMeter, type CpuReport } from '../lib/cpu.js';
import { dbName, drainWithin, freshDatabase, queueDepth } from '../lib/db.js';
import { BENCH_TMP, removeLogs, startAppServer } from '../lib/processes.js';
import { fixed, loadAverage, runHeader } from '../lib/stats.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const SCORING = process.env.BENCH_SCORING !== 'false';
const DRAIN_TIMEOUT = Number(process.env.BENCH_DRAIN_TIMEOUT ?? 900);
const DIR = BENCH_TMP;
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
const header = runHeader('npm run bench:import', { BENCH_ROWS: ROWS, BENCH_LEADS: LEADS, BENCH_SCORING: String(SCORING), BENCH_DRAIN_TIMEOUT: DRAIN_TIMEOUT });
const name = dbName('leadvibe_bench_import');
const url = await freshDatabase(name);
const serverEnv = { IMPORT_MAX_BYTES: String(2 * 1024 ** 3) };
// The COPY baseline runs with the worker off, so it is the plain single-stream COPY it always was.
const copyServer = await startAppServer(url, { ...serverEnv, BENCH_SCORING: 'false' }, 'import-copy');
const client = new pg.Client({ connectionString: url });
await client.connect();

// The COPY baseline gets the rows with their leads already resolved (COPY cannot resolve).
const leadIds = Array.from({ length: LEADS }, () => randomUUID());
const { orgId, unitId } = copyServer.ready;
await client.query(`insert into leads (org_id, unit_id, id) select $1, $2, unnest($3::text[])`, [orgId, unitId, leadIds]);
const copyFile = join(DIR, `copy-${ROWS}.csv`);
await writeLines(copyFile, rows(leadIds, orgId, unitId));
let t = performance.now();
await psqlCopy(url, copyFile);
const copySeconds = (performance.now() - t) / 1000;
await copyServer.stop();
// Start the import from the same empty table and no leads.
await client.query('truncate events cascade');
await client.query('delete from leads');
await client.query('vacuum analyze');

const server = await startAppServer(url, { ...serverEnv, BENCH_SCORING: String(SCORING) }, 'import-server');
process.on('uncaughtException', (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  void server.stop().then(() => process.exit(1));
});
// The CSV for the import: aliases only, the server resolves them.
const importFile = join(DIR, `import-${ROWS}.csv`);
await writeLines(importFile, rows(null, server.ready.orgId, server.ready.unitId));

const cpu = createCpuMeter({ processes: { server: server.pid }, databases: { app: name } });
const rssBefore = peakRssMb(server.pid);
const stopCpu = cpu.start();
t = performance.now();
const body = JSON.parse(await upload(server.ready.port, server.ready.authorization, importFile)) as { accepted: number; rejected: number };
const importSeconds = (performance.now() - t) / 1000;
const importCpu: CpuReport = stopCpu();
const rssPeak = peakRssMb(server.pid);
const depthEnd = SCORING ? await queueDepth(client) : 0;
const drain = SCORING ? await drainWithin(client, DRAIN_TIMEOUT) : { seconds: 0, left: 0 };
const rssPeakWithDrain = peakRssMb(server.pid);
const { rows: counted } = await client.query<{ events: number; leads: number; aliases: number }>(
  `select (select count(*)::int from events) as events, (select count(*)::int from leads) as leads,
          (select count(*)::int from lead_aliases) as aliases`,
);
await client.end();
cpu.stop();
await server.stop();
removeLogs(copyServer.logFile, server.logFile);

const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const copyRate = ROWS / copySeconds;
const importRate = ROWS / importSeconds;
process.stdout.write(
  [
    '',
    header,
    `${fmt(ROWS)} rows, aliases over ${fmt(LEADS)} leads; CSV ${(statSync(importFile).size / 1024 ** 2).toFixed(0)} MB; scoring worker ${SCORING ? 'on' : 'off'} during the import`,
    '',
    '| path | seconds | rows/s |',
    '|---|---:|---:|',
    `| plain COPY (psql \\copy, leads pre-resolved, worker off) | ${copySeconds.toFixed(1)} | ${fmt(copyRate)} |`,
    `| POST /events/import (alias resolution included) | ${importSeconds.toFixed(1)} | ${fmt(importRate)} |`,
    '',
    `ratio import / COPY: **${(importRate / copyRate).toFixed(3)}**`,
    `server peak RSS: **${rssPeak.toFixed(0)} MB** during the import (before it: ${rssBefore.toFixed(0)} MB; ${rssPeakWithDrain.toFixed(0)} MB including the drain after it)`,
    `CPU during the import: server ${fixed(importCpu.server ?? 0)} cores, its PostgreSQL backends ${fixed(importCpu['pg app'] ?? 0)}, other databases ${fixed(importCpu['pg other'] ?? 0)}, machine busy ${fixed(importCpu.machineBusyCores)}`,
    SCORING ? `scoring: ${fmt(depthEnd)} events unscored when the import answered (${fmt((ROWS - depthEnd) / importSeconds)} scored/s during it), ${drain.left === 0 ? `drained ${drain.seconds.toFixed(1)} s later` : `${fmt(drain.left)} still unscored ${drain.seconds.toFixed(0)} s later (BENCH_DRAIN_TIMEOUT)`}` : 'scoring worker off',
    `answer: accepted ${fmt(body.accepted)}, rejected ${fmt(body.rejected)}; in the database: ${fmt(counted[0]?.events ?? 0)} events, ${fmt(counted[0]?.leads ?? 0)} leads, ${fmt(counted[0]?.aliases ?? 0)} aliases; load average now ${loadAverage()}`,
    '',
  ].join('\n'),
);
