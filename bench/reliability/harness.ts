/**
 * Shared pieces of the reliability runs (bench/reliability/*.ts): a real server process
 * (`src/server.ts`, as `npm start` runs it) on a fresh PostgreSQL database, a tenant set up over
 * HTTP, clients that retry what got no answer with the same message ids, and the end-of-run
 * checks that read the database directly.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import pg from 'pg';
import { BENCH_ADMIN_URL, withClient } from '../lib/db.js';

export const TYPES = [
  { event_type: 'page_view', weight: 1 },
  { event_type: 'email_open', weight: 3 },
  { event_type: 'form_submit', weight: 10 },
  { event_type: 'pricing_view', weight: 5 },
] as const;

const JWT_SECRET = 'reliability-secret-of-at-least-32-chars!';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  port: number;
  base: string;
  child: ChildProcess;
  /** SIGKILL: no graceful shutdown, in-flight requests and transactions are cut. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful shutdown `npm start` does on a deploy. */
  stop(): Promise<void>;
}

/** Starts `src/server.ts` on `url` and waits until /readyz answers 200. */
const children = new Set<ChildProcess>();
// A run that fails half-way must not leave server processes behind.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
process.on('unhandledRejection', (err) => {
  process.stderr.write(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

// The server as `npm start` runs it: compiled once per run (scripts/build-server.mjs).
execFileSync(process.execPath, ['scripts/build-server.mjs']);

export async function startServer(url: string, port: number, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['dist/server.js'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET,
      LOG_LEVEL: process.env.RELIABILITY_LOG_LEVEL ?? 'error',
      AUTH_RATE_LIMIT_PER_MIN: '100000',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const base = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} while starting`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error('server did not become ready in 60 s');
    await sleep(100);
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { port, base, child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(base: string, method: string, path: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export interface Tenant {
  token: string;
  authorization: string;
  unitId: string;
}

/** Signs up an organization, adds one rule per type to its primary ruleset, makes a Basic credential. */
export async function setUpTenant(base: string, name: string): Promise<Tenant> {
  const signup = await call(base, 'POST', '/auth/signup', {
    organization_name: name,
    first_name: 'Rel',
    last_name: 'Iability',
    email: `${name.toLowerCase().replace(/\W+/g, '-')}-${Date.now()}@reliability.test`,
    password: 'reliability password 1',
  }, {});
  const token = signup.token as string;
  const unitId = (signup.unit as { unit_id: string }).unit_id;
  const bearer = { authorization: `Bearer ${token}` };
  for (const t of TYPES) await call(base, 'POST', '/rules', t, bearer);
  const secret = await call(base, 'POST', '/secrets', { name: 'reliability' }, bearer);
  const authorization = `Basic ${Buffer.from(`${secret.client_id}:${secret.client_secret}`).toString('base64')}`;
  return { token, authorization, unitId };
}

export interface SentEvent {
  message_id: string;
  aliases: Array<{ alias_kind: 'email'; raw_value: string }>;
  event_type: string;
  metadata: { client_msg: string; n: number };
}

export function makeEvent(messageId: string, leads: number, n: number): SentEvent {
  const lead = Math.floor(Math.random() * leads);
  return {
    message_id: messageId,
    aliases: [{ alias_kind: 'email', raw_value: `lead-${lead}@reliability.test` }],
    event_type: (TYPES[n % TYPES.length] as (typeof TYPES)[number]).event_type,
    metadata: { client_msg: messageId, n },
  };
}

/** What a client learned: the event id the server answered for each message id. */
export type Answers = Map<string, string>;

export interface ClientStats {
  requests: number;
  retries: number;
  duplicates: number;
  /** Answers with a 5xx status, and answers that contradict an earlier one: defects whatever the reason. */
  failures: string[];
}

export function newStats(): ClientStats {
  return { requests: 0, retries: 0, duplicates: 0, failures: [] };
}

/**
 * Sends one request until it is answered: a connection error or a cut response (the server was
 * killed) is retried with the same body, so the same message ids. Answers the JSON body of the 202.
 */
export async function sendUntilAnswered(
  bases: () => string,
  path: string,
  body: unknown,
  authorization: string,
  stats: ClientStats,
): Promise<Record<string, unknown>> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      stats.retries++;
      await sleep(Math.min(50 * attempt, 500));
    }
    stats.requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${bases()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      text = await res.text();
    } catch {
      continue;
    }
    if (res.status === 202) return JSON.parse(text) as Record<string, unknown>;
    if (res.status >= 500) {
      stats.failures.push(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
      continue;
    }
    throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** Records the answer of a POST /events or /events/batch item; a second, different event id is a failure. */
export function recordAnswer(answers: Answers, messageId: string, eventId: string, duplicate: boolean, stats: ClientStats): void {
  if (duplicate) stats.duplicates++;
  const known = answers.get(messageId);
  if (known && known !== eventId) stats.failures.push(`message ${messageId} answered ${known}, then ${eventId}`);
  else answers.set(messageId, eventId);
}

export interface CheckResult {
  ok: boolean;
  lines: string[];
}

/** Waits until no event is left unscored (or `timeoutMs` passes); answers the seconds it took. */
export async function waitForScoring(client: pg.Client, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from events e where e.scored_at is null and not exists (select 1 from event_outcomes o where o.org_id = e.org_id and o.event_id = e.id)');
    if ((rows[0]?.n ?? 0) === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) return Number.NaN;
    await sleep(200);
  }
}

/**
 * The end-of-run invariants, read from the database: every answered event is stored with the id
 * it was answered with, each message id is stored once, nothing is unscored, each scored event has
 * exactly one score row per ruleset, and each lead's total equals the sum of its events' deltas.
 */
export async function checkInvariants(client: pg.Client, answers: Answers): Promise<CheckResult> {
  const lines: string[] = [];
  const fail = (line: string) => lines.push(`FAIL ${line}`);
  const one = async (text: string, values: unknown[] = []) => {
    const { rows } = await client.query<{ n: number }>(text, values);
    return rows[0]?.n ?? 0;
  };
  const ids = [...answers.values()];
  const stored = await one('select count(*)::int as n from events where id = any($1::uuid[])', [ids]);
  if (stored !== ids.length) fail(`${ids.length - stored} answered events are not stored`);
  const mismatched = await one(
    `select count(*)::int as n from unnest($1::text[], $2::uuid[]) as a(msg, id)
     join events e on e.metadata->>'client_msg' = a.msg and not (e.normalized and not e.normalized_parent)
     where e.id <> a.id`,
    [[...answers.keys()], ids],
  );
  if (mismatched > 0) fail(`${mismatched} stored events differ from the event id their message was answered with`);
  const duplicates = await one(
    `select count(*)::int as n from (select metadata->>'client_msg' from events
     where metadata ? 'client_msg' group by 1 having count(*) > 1) d`,
  );
  if (duplicates > 0) fail(`${duplicates} message ids are stored more than once`);
  const events = await one(`select count(*)::int as n from events where metadata ? 'client_msg'`);
  if (events !== answers.size) fail(`${events} client events stored for ${answers.size} answered message ids`);
  const unscored = await one('select count(*)::int as n from events e where e.scored_at is null and not exists (select 1 from event_outcomes o where o.org_id = e.org_id and o.event_id = e.id)');
  if (unscored > 0) fail(`${unscored} events are unscored`);
  // Set-based (grouped joins, not a correlated count per event): the full run checks 100k events.
  const scoreRows = await one(
    `select count(*)::int as n from events e
     join (select unit_id, count(*)::int as r from rulesets group by unit_id) r on r.unit_id = e.unit_id
     left join (select org_id, event_id, count(*)::int as k from event_scores group by org_id, event_id) s
       on s.org_id = e.org_id and s.event_id = e.id
     where not (e.normalized and not e.normalized_parent) and coalesce(s.k, 0) <> r.r`,
  );
  if (scoreRows > 0) fail(`${scoreRows} events do not have exactly one score row per ruleset`);
  const wrongTotals = await one(
    `select count(*)::int as n from lead_scores ls
     left join (select org_id, unit_id, lead_id, ruleset_id, sum(delta) as total from event_scores
                group by org_id, unit_id, lead_id, ruleset_id) s
       using (org_id, unit_id, lead_id, ruleset_id)
     where ls.total_score <> coalesce(s.total, 0)`,
  );
  if (wrongTotals > 0) fail(`${wrongTotals} lead totals differ from the sum of their events' deltas`);
  const zeroDeltas = await one(`select count(*)::int as n from event_scores where delta = 0`);
  lines.push(`events stored: ${events}; answered message ids: ${answers.size}; score rows with delta 0: ${zeroDeltas}`);
  return { ok: !lines.some((l) => l.startsWith('FAIL')), lines };
}

/** Waits for the queue to drain on `url`, then checks the invariants; drainSeconds is NaN on a timeout. */
export async function verifyDatabase(url: string, answers: Answers, timeoutMs: number): Promise<{ drainSeconds: number; result: CheckResult }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const drainSeconds = await waitForScoring(client, timeoutMs);
    return { drainSeconds, result: await checkInvariants(client, answers) };
  } finally {
    await client.end();
  }
}

/**
 * Prints the run's lines and ends the process: exit 0 and the database dropped when no line is a
 * FAIL and the queue drained, else exit 1 with the database kept for inspection.
 */
export async function finishRun(dbName: string, lines: string[], drainSeconds: number): Promise<never> {
  const failed = lines.some((l) => l.startsWith('FAIL')) || Number.isNaN(drainSeconds);
  if (Number.isNaN(drainSeconds)) lines.push('FAIL the queue did not drain in time');
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!failed) await withClient(BENCH_ADMIN_URL, (admin) => admin.query(`drop database if exists ${dbName} with (force)`));
  process.stdout.write(failed ? `FAILED (database ${dbName} kept for inspection)\n` : 'OK\n');
  process.exit(failed ? 1 : 0);
}
