import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { createCredential, expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, primaryRulesetId, putSurge } from '../helpers/scoring-factory.js';
import { importCsv } from '../helpers/uploads.js';

// Issue 8 item 1: system events are the server's; nothing a client sends steers the engine.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });

type Headers = Pick<Session, 'headers'>;

function ingest(who: Headers, payload: object) {
  return ctx.app.inject({ method: 'POST', url: '/events', headers: who.headers, payload });
}

async function ingested(who: Headers, payload: object) {
  const res = await ingest(who, payload);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().metadata as { event_id: string; lead_id: string };
}

async function score(s: Session, leadId: string): Promise<number> {
  const res = await ctx.app.inject({ method: 'GET', url: `/leads/${leadId}/score`, headers: s.headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().score as number;
}

async function eventsOf(s: Session, leadId: string) {
  const res = await ctx.app.inject({ method: 'GET', url: `/leads/${leadId}/events?limit=500`, headers: s.headers });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as Array<{ id: string; event_type: string; metadata: Record<string, unknown> }>).reverse();
}

/** An OU with surge off and a rule giving `weight` points per `type` event. */
async function scoringOu(type: string, weight: number) {
  const s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  await createRule(ctx.app, s, { event_type: type, weight });
  return { s, primary: await primaryRulesetId(ctx.app, s) };
}

const email = (value: string) => [{ alias_kind: 'email', raw_value: value }];

describe('a client cannot send a system event', () => {
  it('refuses a forged DECAY with 400 (the issue’s reproduction): the lead stays at 33', async () => {
    const { s } = await scoringOu('demo', 33);
    const { lead_id: lead } = await ingested(s, { aliases: email('victim@x.io'), event_type: 'demo' });
    await ctx.app.scoringWorker.drain();
    expect(await score(s, lead)).toBe(33);

    const credential = await createCredential(ctx.app, s);
    for (const who of [s, credential]) {
      const res = await ingest(who, { lead_id: lead, event_type: 'DECAY', metadata: { decrease: 1_000_000 } });
      const body = expectError(res, 400, 'validation_failed');
      expect(body.details?.map((d) => d.field)).toEqual(['body.event_type']);
      expect(body.details?.[0]?.message).toContain('reserved');
    }
    await ctx.app.scoringWorker.drain();
    expect(await score(s, lead)).toBe(33);
    expect((await eventsOf(s, lead)).map((e) => e.event_type)).toEqual(['demo']);
  });

  it.each(['decay', 'Decay', ' DECAY '])('refuses the reserved type in any case (%j)', async (eventType) => {
    const s = await signup(ctx.app);
    expectError(await ingest(s, { aliases: email('a@x.io'), event_type: eventType }), 400, 'validation_failed');
    const events = await ctx.app.inject({ method: 'GET', url: '/events', headers: s.headers });
    expect(events.json()).toEqual([]);
  });

  it('refuses a DECAY with a decay_id that is no uuid, so the worker never sees it', async () => {
    const { s, primary } = await scoringOu('visit', 5);
    const forged = { event_type: 'DECAY', metadata: { channel: 'system', decay_id: 'not-a-uuid', decrease: 5 } };
    expectError(await ingest(s, { aliases: email('b@x.io'), ...forged }), 400, 'validation_failed');
    const { lead_id: lead } = await ingested(s, { aliases: email('b@x.io'), event_type: 'visit' });
    // One pass scores the good event: nothing poisons the batch.
    expect(await ctx.app.scoringWorker.runOnce()).toBe(1);
    expect(await score(s, lead)).toBe(5);
    const rows = await ctx.database.db.selectFrom('event_scores').select('decay_id').where('ruleset_id', '=', primary).execute();
    expect(rows).toEqual([{ decay_id: null }]);
  });

  it('answers per item in a batch and per row in a CSV import', async () => {
    const s = await signup(ctx.app);
    const batch = await ctx.app.inject({
      method: 'POST',
      url: '/events/batch',
      headers: s.headers,
      payload: { events: [{ aliases: email('c@x.io'), event_type: 'visit' }, { aliases: email('c@x.io'), event_type: 'decay' }] },
    });
    expect(batch.statusCode, batch.body).toBe(202);
    expect(batch.json().results.map((r: { status: number }) => r.status)).toEqual([202, 400]);
    expect(batch.json().results[1].message).toContain('event_type');

    const csv = 'event_type,email\nvisit,d@x.io\nDECAY,d@x.io\n';
    const upload = await importCsv(ctx.app, s, csv);
    expect(upload.json()).toMatchObject({ accepted: 1, rejected: 1, errors: [{ row: 3, error: expect.stringContaining('reserved') }] });
    const events = await ctx.app.inject({ method: 'GET', url: '/events', headers: s.headers });
    expect((events.json() as Array<{ event_type: string }>).map((e) => e.event_type)).toEqual(['visit', 'visit']);
  });

  it('refuses a canonical_type that maps to a reserved type', async () => {
    const s = await signup(ctx.app);
    for (const canonical of ['DECAY', 'decay']) {
      const res = await ctx.app.inject({ method: 'PUT', url: '/settings/event-types/pageview', headers: s.headers, payload: { canonical_type: canonical } });
      const body = expectError(res, 400, 'validation_failed');
      expect(body.details?.map((d) => d.field)).toEqual(['body.canonical_type']);
    }
    const settings = await ctx.app.inject({ method: 'GET', url: '/settings/event-types', headers: s.headers });
    expect(settings.json()).toEqual([]);
  });
});

describe('client metadata never steers scoring', () => {
  it('scores an event carrying decrease, decay_id, score_delta and inorganic like any other, and drops those keys', async () => {
    const { s } = await scoringOu('visit', 7);
    const metadata = {
      decrease: 1_000_000,
      decay_id: '00000000-0000-4000-8000-000000000000',
      channel: 'system',
      score_delta: 999,
      inorganic: true,
      grouped_into: 'somewhere',
      scoring_error: 'fake',
      page: '/pricing',
    };
    const { lead_id: lead } = await ingested(s, { aliases: email('e@x.io'), event_type: 'visit', metadata });
    await ctx.app.scoringWorker.drain();
    expect(await score(s, lead)).toBe(7);
    const [event] = await eventsOf(s, lead);
    // The stored metadata keeps the client's own keys; score_delta is the server's real delta.
    expect(event?.metadata).toEqual({ channel: 'system', page: '/pricing', score_delta: 7 });
  });

  it('groups a burst into its first event whatever grouped_into the client put on that event', async () => {
    const { s, primary } = await scoringOu('page_view', 10);
    const filter = { event_type: 'page_view', count_threshold: 2, time_window_ms: 10_000, group_events: true };
    expect((await ctx.app.inject({ method: 'POST', url: '/filters', headers: s.headers, payload: filter })).statusCode).toBe(201);
    const at = (second: number) => new Date(Date.UTC(2025, 2, 1, 10, 0, second)).toISOString();
    const first = await ingested(s, {
      aliases: email('f@x.io'),
      event_type: 'page_view',
      timestamp: at(0),
      metadata: { grouped_into: 'forged-root' },
    });
    for (const second of [1, 2, 3]) {
      await ingested(s, { lead_id: first.lead_id, event_type: 'page_view', timestamp: at(second), metadata: { grouped_into: 'forged-too' } });
    }
    await ctx.app.scoringWorker.drain();
    const events = await eventsOf(s, first.lead_id);
    expect(events.map((e) => e.metadata.grouped_into ?? null)).toEqual([null, null, first.event_id, first.event_id]);
    const { rows } = await sql<{ burst_root: string | null }>`select o.burst_root from events e
      left join event_outcomes o on o.org_id = e.org_id and o.event_id = e.id where e.lead_id = ${first.lead_id} order by e.seq`.execute(ctx.database.db);
    expect(rows.map((r) => r.burst_root)).toEqual([null, null, first.event_id, first.event_id]);
    const deltas = await ctx.database.db
      .selectFrom('event_scores')
      .select('delta')
      .where('ruleset_id', '=', primary)
      .orderBy('occurred_at')
      .execute();
    expect(deltas.map((d) => d.delta)).toEqual([10, 10, 0, 0]);
  });
});
