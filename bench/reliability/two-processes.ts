/**
 * npm run reliability:two-processes — two server processes on one PostgreSQL database under load
 * (docs/reliability.md). Clients send RELIABILITY_EVENTS events to both processes (each with a
 * message_id, a share of them resent to the OTHER process as a client behind a load balancer
 * would); an SSE client on process A follows the OU. At the end: every invariant of
 * checkInvariants() holds (each event stored once, scored once, totals = sums), both workers
 * scored events, and A's stream carried an `event_ingested` for every event ingested on B.
 *   RELIABILITY_EVENTS (3000)  RELIABILITY_CLIENTS (20)  RELIABILITY_LEADS (300)
 */
import { freshDatabase } from '../lib/db.js';
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
  verifyDatabase,
} from './harness.js';

const EVENTS = Number(process.env.RELIABILITY_EVENTS ?? 3000);
const CLIENTS = Number(process.env.RELIABILITY_CLIENTS ?? 20);
const LEADS = Number(process.env.RELIABILITY_LEADS ?? 300);
const RESEND_SHARE = 0.05;
// Per process, so two runs on one PostgreSQL never share a database.
const DB_NAME = `leadvibe_reliability_two_${process.pid}`;

const url = await freshDatabase(DB_NAME);
const [a, b] = await Promise.all([freePort(), freePort()]).then(([pa, pb]) => Promise.all([startServer(url, pa), startServer(url, pb)]));
const tenant = await setUpTenant(a.base, 'TwoProcesses');
const answers: Answers = new Map();
const stats = newStats();
const ingestedOnB = new Set<string>();
const seenOnA = new Set<string>();

/** Follows GET /stream on A and records the event ids of `event_ingested` messages. */
async function followStream(signal: AbortSignal): Promise<void> {
  const res = await fetch(`${a.base}/stream`, { headers: { authorization: tenant.authorization }, signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET /stream answered ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (name === 'event_ingested' && data) seenOnA.add((JSON.parse(data) as { event_id: string }).event_id);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

let next = 0;
async function client(c: number): Promise<void> {
  const onB = c % 2 === 1;
  const target = onB ? b : a;
  while (next < EVENTS) {
    const n = next++;
    const event = makeEvent(`c${c}-m${n}`, LEADS, n);
    const body = await sendUntilAnswered(() => target.base, '/events', event, tenant.authorization, stats);
    const meta = body.metadata as { event_id: string; duplicate?: boolean };
    recordAnswer(answers, event.message_id, meta.event_id, meta.duplicate === true, stats);
    if (onB && !meta.duplicate) ingestedOnB.add(meta.event_id);
    if (Math.random() < RESEND_SHARE) {
      // The same message again, through the other process: it must be answered as a duplicate.
      const other = onB ? a : b;
      const again = await sendUntilAnswered(() => other.base, '/events', event, tenant.authorization, stats);
      const m = again.metadata as { event_id: string; duplicate?: boolean };
      if (m.duplicate !== true) stats.failures.push(`resent message ${event.message_id} was not answered as a duplicate`);
      recordAnswer(answers, event.message_id, m.event_id, m.duplicate === true, stats);
    }
  }
}

async function scoredBy(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^events_scored_total (\d+)/m.exec(text)?.[1] ?? 0);
}

const streamAbort = new AbortController();
const streaming = followStream(streamAbort.signal);
await sleep(300);
const started = Date.now();
await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
const ingestSeconds = (Date.now() - started) / 1000;

const { drainSeconds, result } = await verifyDatabase(url, answers, 120_000);
// Live messages are flushed in the tick after their commit: give the last ones a moment.
for (let i = 0; i < 50 && [...ingestedOnB].some((id) => !seenOnA.has(id)); i++) await sleep(100);
streamAbort.abort();
await streaming;
const [scoredA, scoredB] = await Promise.all([scoredBy(a.base), scoredBy(b.base)]);
await Promise.all([a.stop(), b.stop()]);

const missing = [...ingestedOnB].filter((id) => !seenOnA.has(id)).length;
const lines = [
  `two processes: ${EVENTS} events from ${CLIENTS} clients over 2 processes, ${LEADS} leads; ingest ${ingestSeconds.toFixed(1)} s, drain ${drainSeconds.toFixed(1)} s`,
  `scored by A: ${scoredA}, by B: ${scoredB}; resent to the other process and answered as duplicates: ${stats.duplicates}`,
  `SSE on A: ${ingestedOnB.size - missing} of ${ingestedOnB.size} events ingested on B seen`,
  ...result.lines,
  ...(missing > 0 ? [`FAIL ${missing} events ingested on B never reached the stream on A`] : []),
  ...(scoredA === 0 || scoredB === 0 ? ['FAIL one process scored nothing: the work was not shared'] : []),
  ...(scoredA + scoredB < answers.size ? [`FAIL the workers counted ${scoredA + scoredB} scored events for ${answers.size}`] : []),
  ...stats.failures.slice(0, 5).map((e) => `FAIL ${e}`),
];
await finishRun(DB_NAME, lines, drainSeconds);
