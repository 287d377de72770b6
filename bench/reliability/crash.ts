/**
 * npm run reliability:crash — crash under load (docs/reliability.md).
 * A real server process on real PostgreSQL; RELIABILITY_CLIENTS concurrent clients send
 * RELIABILITY_EVENTS events as single POST /events and POST /events/batch requests, each event with
 * its own message_id; the server is SIGKILLed RELIABILITY_KILLS times at random moments and
 * restarted on the same database; clients resend what got no answer, with the same message ids.
 * The OU has a pattern trigger whose webhook is a receiver in this process (answering after
 * RELIABILITY_RECEIVER_DELAY_MS, 100, so sends are in flight): each kill waits until deliveries
 * are pending, and after the run every firing must have exactly its delivery rows, every delivery
 * must have succeeded and reached the receiver at least once (bench/reliability/deliveries.ts).
 * At the end every invariant of checkInvariants() and checkDeliveries() must hold, or the run exits 1.
 *   RELIABILITY_EVENTS (3000)  RELIABILITY_KILLS (2)  RELIABILITY_CLIENTS (20)  RELIABILITY_LEADS (300)
 *   RELIABILITY_BATCH_SHARE (0.3: share of requests that are batches of 2–50 events)
 */
import pg from 'pg';
import { freshDatabase } from '../lib/db.js';
import { startReceiver } from '../lib/receiver.js';
import { checkDeliveries, createWebhookTrigger, DELIVERY_ENV, waitForDeliveries, whenDeliveriesOpen } from './deliveries.js';
import {
  finishRun,
  freePort,
  makeEvent,
  newStats,
  recordAnswer,
  sendUntilAnswered,
  setUpTenant,
  sleep,
  startServer,
  type Answers,
  type ClientStats,
  type ServerProcess,
  verifyDatabase,
} from './harness.js';

const EVENTS = Number(process.env.RELIABILITY_EVENTS ?? 3000);
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 2);
const CLIENTS = Number(process.env.RELIABILITY_CLIENTS ?? 20);
const LEADS = Number(process.env.RELIABILITY_LEADS ?? 300);
const BATCH_SHARE = Number(process.env.RELIABILITY_BATCH_SHARE ?? 0.3);
// Per process, so two runs on one PostgreSQL (another checkout, CI beside a session) never share a database.
const DB_NAME = `leadvibe_reliability_crash_${process.pid}`;

const url = await freshDatabase(DB_NAME);
const port = await freePort();
const receiver = await startReceiver({ delayMs: Number(process.env.RELIABILITY_RECEIVER_DELAY_MS ?? 100) });
let server: ServerProcess = await startServer(url, port, DELIVERY_ENV);
const tenant = await setUpTenant(server.base, 'Crash');
await createWebhookTrigger(server.base, tenant.token, receiver.url);
const db = new pg.Client({ connectionString: url });
await db.connect();
const answers: Answers = new Map();
const stats: ClientStats = newStats();
let next = 0;

/** One client: takes the next message ids, sends them as one event or a batch, until all are sent. */
async function client(c: number): Promise<void> {
  while (next < EVENTS) {
    const size = Math.random() < BATCH_SHARE ? 2 + Math.floor(Math.random() * 49) : 1;
    const first = next;
    next = Math.min(EVENTS, next + size);
    const events = Array.from({ length: next - first }, (_, i) => makeEvent(`c${c}-m${first + i}`, LEADS, first + i));
    if (events.length === 1) {
      const [event] = events as [ReturnType<typeof makeEvent>];
      const body = await sendUntilAnswered(() => server.base, '/events', event, tenant.authorization, stats);
      const meta = body.metadata as { event_id: string; duplicate?: boolean };
      recordAnswer(answers, event.message_id, meta.event_id, meta.duplicate === true, stats);
      continue;
    }
    const body = await sendUntilAnswered(() => server.base, '/events/batch', { events }, tenant.authorization, stats);
    const results = body.results as Array<{ index: number; status: number; event_id?: string; duplicate?: boolean; message?: string }>;
    for (const r of results) {
      const event = events[r.index];
      if (!event || r.status !== 202 || !r.event_id) throw new Error(`batch item ${r.index} answered ${r.status}: ${r.message}`);
      recordAnswer(answers, event.message_id, r.event_id, r.duplicate === true, stats);
    }
  }
}

/** Open deliveries when each kill came. */
const openAtKills: number[] = [];

/**
 * Kills the server when the answered share passes each of KILLS random thresholds (and, for at
 * most 3 s more, deliveries are pending), restarting it at once.
 */
async function killer(done: () => boolean): Promise<number[]> {
  const thresholds = Array.from({ length: KILLS }, () => 0.1 + Math.random() * 0.8).sort((a, b) => a - b);
  const downtimes: number[] = [];
  for (const threshold of thresholds) {
    while (!done() && answers.size < threshold * EVENTS) await sleep(Math.random() * 20);
    if (done()) break;
    openAtKills.push(await whenDeliveriesOpen(db, 3000));
    await server.kill();
    const killedAt = Date.now();
    server = await startServer(url, port, DELIVERY_ENV);
    downtimes.push(Date.now() - killedAt);
  }
  return downtimes;
}

const started = Date.now();
let finished = false;
const killing = killer(() => finished);
await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
finished = true;
const downtimes = await killing;
const ingestSeconds = (Date.now() - started) / 1000;

const { drainSeconds, result } = await verifyDatabase(url, answers, 180_000);
const deliveredSeconds = await waitForDeliveries(db, 120_000);
if (Number.isNaN(deliveredSeconds)) result.lines.push('FAIL deliveries were still open 120 s after the queue drained');
const deliveries = await checkDeliveries(db, receiver.arrivals, downtimes.length);
await server.stop();
await db.end();
await receiver.close();

await finishRun(DB_NAME, [
  `crash under load: ${EVENTS} events from ${CLIENTS} clients (${Math.round(BATCH_SHARE * 100)} % of requests batches), ${LEADS} leads`,
  `kills: ${downtimes.length} (restart to ready: ${downtimes.map((d) => `${(d / 1000).toFixed(1)} s`).join(', ') || '-'}; deliveries open at each kill: ${openAtKills.join(', ') || '-'})`,
  `requests: ${stats.requests}, resent after no answer: ${stats.retries}, answered as duplicates: ${stats.duplicates}, failures: ${stats.failures.length}`,
  `ingest took ${ingestSeconds.toFixed(1)} s; the queue drained ${drainSeconds.toFixed(1)} s after the last answer`,
  `the outbox emptied ${deliveredSeconds.toFixed(1)} s after the queue drained`,
  ...result.lines,
  ...deliveries.lines,
  ...stats.failures.slice(0, 5).map((e) => `FAIL ${e}`),
], drainSeconds);
