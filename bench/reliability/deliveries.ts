/**
 * The delivery outbox under the crash run (issue 12: "killing the server with deliveries pending
 * loses none"): a pattern trigger whose webhook is a receiver in the run's process, and the
 * end-of-run checks of firings, delivery rows and what the receiver got.
 */
import type pg from 'pg';
import type { Arrival } from '../lib/receiver.js';
import { sleep, type CheckResult } from './harness.js';

/** Server settings of a run with webhooks to 127.0.0.1: a killed sender's claims come back after 5 s. */
export const DELIVERY_ENV = { ALLOW_PRIVATE_WEBHOOKS: 'true', DELIVERY_LEASE_SECONDS: '5', DELIVERY_BACKOFF_BASE_MS: '200' };
/** The server's DELIVERY_CONCURRENCY (default): at most this many sends are in flight when it is killed. */
const SENDS_IN_FLIGHT = Number(process.env.DELIVERY_CONCURRENCY ?? 16);

/** Creates (over HTTP, as an admin) a pattern trigger that fires on most page views: at most once per lead per second. */
export async function createWebhookTrigger(base: string, token: string, webhookUrl: string): Promise<void> {
  const res = await fetch(`${base}/triggers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'crash: page views', window_seconds: 1, conditions: [{ event_type: 'page_view', min_count: 1 }], webhook_url: webhookUrl }),
  });
  if (res.status !== 201) throw new Error(`POST /triggers answered ${res.status}: ${await res.text()}`);
}

async function count(client: pg.Client, text: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(text);
  return rows[0]?.n ?? 0;
}

/** Deliveries not yet done (pending, or claimed and being sent). */
export const openDeliveries = (client: pg.Client) => count(client, `select count(*)::int as n from deliveries where status in ('pending', 'sending')`);

/** Waits until some delivery is open (at most `ms`), so a kill finds deliveries pending; answers how many were. */
export async function whenDeliveriesOpen(client: pg.Client, ms: number): Promise<number> {
  const until = Date.now() + ms;
  for (;;) {
    const open = await openDeliveries(client);
    if (open > 0 || Date.now() > until) return open;
    await sleep(20);
  }
}

/** Waits until no delivery is open (or `timeoutMs` passes); answers the seconds it took, NaN on a timeout. */
export async function waitForDeliveries(client: pg.Client, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while ((await openDeliveries(client)) > 0) {
    if (Date.now() - started > timeoutMs) return Number.NaN;
    await sleep(200);
  }
  return (Date.now() - started) / 1000;
}

/**
 * Every firing has exactly its delivery rows (one webhook row when delivered, none in decide
 * scope), every delivery succeeded, the receiver got every delivery id at least once and nothing
 * else, and repeats are the at-least-once kind only: a new attempt (never the same attempt twice),
 * at most the sends a kill can cut.
 */
export async function checkDeliveries(client: pg.Client, arrivals: Arrival[], kills: number): Promise<CheckResult> {
  const lines: string[] = [];
  const fail = (line: string) => lines.push(`FAIL ${line}`);
  const firings = await count(client, 'select count(*)::int as n from trigger_firings');
  if (firings === 0) fail('no trigger fired: the run did not exercise the outbox');
  const wrongRows = await count(
    client,
    `select count(*)::int as n from trigger_firings f
     left join (select org_id, firing_id, count(*)::int as k from deliveries group by org_id, firing_id) d on d.org_id = f.org_id and d.firing_id = f.id
     where coalesce(d.k, 0) <> (case when f.delivered then 1 else 0 end)`,
  );
  if (wrongRows > 0) fail(`${wrongRows} firings do not have exactly their delivery rows`);
  const { rows } = await client.query<{ id: string; status: string }>('select id::text as id, status from deliveries');
  const notSucceeded = rows.filter((r) => r.status !== 'succeeded');
  if (notSucceeded.length > 0) fail(`${notSucceeded.length} deliveries did not succeed (${[...new Set(notSucceeded.map((r) => r.status))].join(', ')})`);
  const attemptsOf = new Map<string, number[]>();
  for (const a of arrivals) attemptsOf.set(a.deliveryId, [...(attemptsOf.get(a.deliveryId) ?? []), a.attempt]);
  const lost = rows.filter((r) => !attemptsOf.has(r.id)).length;
  if (lost > 0) fail(`${lost} deliveries never reached the receiver`);
  const known = new Set(rows.map((r) => r.id));
  const unknown = [...attemptsOf.keys()].filter((id) => !known.has(id)).length;
  if (unknown > 0) fail(`the receiver got ${unknown} delivery ids that are not in the outbox`);
  const sameAttempt = [...attemptsOf.values()].filter((a) => new Set(a).size !== a.length).length;
  if (sameAttempt > 0) fail(`${sameAttempt} deliveries arrived twice with the same attempt number`);
  const repeats = arrivals.length - attemptsOf.size;
  if (repeats > kills * SENDS_IN_FLIGHT) fail(`${repeats} repeated arrivals: more than the ${kills} kills × ${SENDS_IN_FLIGHT} sends in flight can explain`);
  lines.push(`firings: ${firings}; deliveries: ${rows.length}; receiver: ${arrivals.length} POSTs, ${attemptsOf.size} delivery ids, ${repeats} repeated after a kill (at least once)`);
  return { ok: !lines.some((l) => l.startsWith('FAIL')), lines };
}
