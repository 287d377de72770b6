/**
 * npm run bench:import — a generated CSV (aliases over BENCH_LEADS distinct leads) through
 * POST /events/import, against a plain COPY of the same rows into the same events table, in the
 * same run. Reports rows/s of both, the ratio, and the server's peak RSS. See bench/README.md.
 *   BENCH_ROWS (default 1000000)  BENCH_LEADS (default 100000)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { freshDatabase, startServer } from '../bench-db.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const DIR = join(tmpdir(), 'leadvibe-bench');
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
const url = await freshDatabase('leadvibe_bench_import');
const server = await startServer(url, { IMPORT_MAX_BYTES: String(2 * 1024 ** 3) });
process.on('uncaughtException', (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  void server.stop().then(() => process.exit(1));
});
const client = new pg.Client({ connectionString: url });
await client.connect();

// The CSV for the import: aliases only, the server resolves them.
const importFile = join(DIR, `import-${ROWS}.csv`);
await writeLines(importFile, rows(null, server.orgId, server.unitId));

// The COPY baseline gets the same rows with their leads already resolved (COPY cannot resolve).
const leadIds = Array.from({ length: LEADS }, () => randomUUID());
await client.query(`insert into leads (org_id, unit_id, id) select $1, $2, unnest($3::text[])`, [server.orgId, server.unitId, leadIds]);
const copyFile = join(DIR, `copy-${ROWS}.csv`);
await writeLines(copyFile, rows(leadIds, server.orgId, server.unitId));

let t = performance.now();
await psqlCopy(url, copyFile);
const copySeconds = (performance.now() - t) / 1000;
// Start the import from the same empty table and no leads.
await client.query('truncate events cascade');
await client.query('delete from leads');
await client.query('vacuum analyze');

const rssBefore = peakRssMb(server.pid);
t = performance.now();
const body = JSON.parse(await upload(server.port, server.authorization, importFile)) as { accepted: number; rejected: number };
const importSeconds = (performance.now() - t) / 1000;
const rssPeak = peakRssMb(server.pid);
const { rows: counted } = await client.query<{ events: number; leads: number; aliases: number }>(
  `select (select count(*)::int from events) as events, (select count(*)::int from leads) as leads,
          (select count(*)::int from lead_aliases) as aliases`,
);
await client.end();
await server.stop();

const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const copyRate = ROWS / copySeconds;
const importRate = ROWS / importSeconds;
process.stdout.write(
  [
    '',
    `${fmt(ROWS)} rows, aliases over ${fmt(LEADS)} leads; CSV ${(statSync(importFile).size / 1024 ** 2).toFixed(0)} MB`,
    '',
    '| path | seconds | rows/s |',
    '|---|---:|---:|',
    `| plain COPY (psql \\copy, leads pre-resolved) | ${copySeconds.toFixed(1)} | ${fmt(copyRate)} |`,
    `| POST /events/import (alias resolution included) | ${importSeconds.toFixed(1)} | ${fmt(importRate)} |`,
    '',
    `ratio import / COPY: ${((100 * importRate) / copyRate).toFixed(1)} %`,
    `server peak RSS: ${rssPeak.toFixed(0)} MB (before the import: ${rssBefore.toFixed(0)} MB)`,
    `answer: accepted ${fmt(body.accepted)}, rejected ${fmt(body.rejected)}; in the database: ${fmt(counted[0]?.events ?? 0)} events, ${fmt(counted[0]?.leads ?? 0)} leads, ${fmt(counted[0]?.aliases ?? 0)} aliases`,
    '',
  ].join('\n'),
);
