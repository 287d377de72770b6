import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead, putSurge, type EventInput } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false' });

const call = (s: Session, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({ method, url, headers: s.headers, ...(payload !== undefined && { payload: payload as object }) });

async function create(s: Session, path: string, body: Record<string, unknown>): Promise<string> {
  const res = await call(s, 'POST', path, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().trigger_id as string;
}

const T0 = Date.parse('2026-11-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const evs = (...list: Array<[string, number]>): EventInput[] => list.map(([type, s]) => ({ type, at: at(s) }));
const HOOK = 'https://hooks.example.com/seq';

let s: Session;
beforeAll(async () => {
  s = await signup(ctx.app);
  await putSurge(ctx.app, s, { mode: 'off' });
  for (const t of ['a', 'b', 'c', 'x', 'y']) await createRule(ctx.app, s, { event_type: t, weight: 1 });
});

/** Scores `events` for a new lead, one pass per `passes` chunk; answers the ids of the events that fired `triggerId`. */
async function fired(triggerId: string, events: EventInput[], passes = 1): Promise<number[]> {
  const lead = await insertLead(ctx.database.db, s);
  const ids: string[] = [];
  const size = Math.ceil(events.length / passes);
  for (let i = 0; i < events.length; i += size) {
    ids.push(...(await insertEvents(ctx.database.db, s, lead, events.slice(i, i + size))));
    await ctx.app.scoringWorker.drain();
  }
  const rows = await ctx.database.db.selectFrom('trigger_firings').select('event_id').where('org_id', '=', s.orgId).where('trigger_id', '=', triggerId).where('lead_id', '=', lead).orderBy('event_seq').execute();
  return rows.map((r) => ids.indexOf(r.event_id));
}

describe('sequence triggers', () => {
  it('creates, lists, updates and deletes; event_steps echo the steps', async () => {
    const id = await create(s, '/sequences', { event_types: ['a', 'b'], window_seconds: 2, window_unit: 'hours', webhook_url: HOOK });
    const [row] = (await call(s, 'GET', '/sequences')).json();
    expect(row).toMatchObject({ trigger_id: id, event_steps: ['a', 'b'], window_seconds: 2, window_unit: 'hours', ordered: true, fire_mode: 'once', unit_id: s.unitId });
    expect((await call(s, 'PUT', `/sequences/${id}`, { ordered: false, fire_mode: 'every' })).json()).toMatchObject({ ordered: false, fire_mode: 'every', event_steps: ['a', 'b'] });
    expect((await call(s, 'DELETE', `/sequences/${id}`)).statusCode).toBe(204);
    expect((await call(s, 'GET', '/sequences')).json()).toEqual([]);
  });

  it('refuses bad input with 400', async () => {
    const ok = { event_types: ['a', 'b'], window_seconds: 60, window_unit: 'seconds', webhook_url: HOOK };
    const bad = [
      { ...ok, event_types: ['a'] },
      { ...ok, window_unit: 'days' },
      { ...ok, window_seconds: 0 },
      { ...ok, webhook_url: undefined },
      { ...ok, fire_mode: 'twice' },
      { ...ok, window_seconds: 9000, window_unit: 'hours' },
      { ...ok, webhook_url: 'http://127.0.0.1:8080/x' },
      { ...ok, webhook_url: 'http://localhost/x' },
      { ...ok, webhook_url: 'http://[::1]/x' },
      { ...ok, webhook_url: 'http://169.254.169.254/latest' },
    ];
    for (const body of bad) expectError(await call(s, 'POST', '/sequences', body), 400, 'validation_failed');
    expect((await call(s, 'GET', '/sequences')).json()).toEqual([]);
  });

  it('ordered: fires on the last step when the steps happened in order within the window, once per lead', async () => {
    const id = await create(s, '/sequences', { event_types: ['a', 'b', 'c'], window_seconds: 10, window_unit: 'minutes', webhook_url: HOOK });
    // b a c: no b after a; then b c completes a→b→c (a at 60 s, c at 240 s); a later full run does not fire again.
    expect(await fired(id, evs(['b', 0], ['a', 60], ['c', 120], ['b', 180], ['c', 240], ['a', 300], ['b', 310], ['c', 320]))).toEqual([4]);
    // The same run spread over three passes.
    expect(await fired(id, evs(['b', 0], ['a', 60], ['c', 120], ['b', 180], ['c', 240]), 3)).toEqual([4]);
    // Window: a at 0, b at 5 min, c at 11 min: a is outside (11 > 10 min); a new a at 12 min then b, c fires.
    expect(await fired(id, evs(['a', 0], ['b', 300], ['c', 660], ['a', 720], ['b', 730], ['c', 740]))).toEqual([5]);
    // Exactly at the window's edge (c − a = 10 min) still counts.
    expect(await fired(id, evs(['a', 0], ['b', 300], ['c', 600]))).toEqual([2]);
  });

  it('unordered: fires when every step is present within the window, whatever the order', async () => {
    const id = await create(s, '/sequences', { event_types: ['a', 'b', 'a'], ordered: false, window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    // Needs two a's and a b within an hour.
    expect(await fired(id, evs(['b', 0], ['a', 10], ['x', 20], ['a', 30]))).toEqual([3]);
    expect(await fired(id, evs(['a', 0], ['b', 10], ['a', 3700]))).toEqual([]);
  });

  it('fire_mode every: fires again after each new complete run', async () => {
    const id = await create(s, '/sequences', { event_types: ['a', 'b'], fire_mode: 'every', window_seconds: 60, window_unit: 'seconds', webhook_url: HOOK });
    // a b fires; a second b alone is no new run (its a belongs to the first); a b fires again.
    expect(await fired(id, evs(['a', 0], ['b', 1], ['b', 2], ['a', 3], ['b', 4]))).toEqual([1, 4]);
    expect(await fired(id, evs(['a', 0], ['b', 1], ['b', 2], ['a', 3], ['b', 4]), 5)).toEqual([1, 4]);
  });

  it('reads steps stored with microseconds: the window ends after the whole millisecond of the last step', async () => {
    const id = await create(s, '/sequences', { event_types: ['a', 'b'], window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    const lead = await insertLead(ctx.database.db, s);
    // a then b within one millisecond, as a SQL import keeps them (the API and the CSV import store milliseconds).
    const [a, b] = await insertEvents(ctx.database.db, s, lead, evs(['a', 0], ['b', 0]));
    for (const [eventId, micros] of [[a, 400], [b, 700]] as const) {
      await sql`update events set occurred_at = occurred_at + ${micros} * interval '1 microsecond' where org_id = ${s.orgId} and id = ${eventId}`.execute(ctx.database.db);
    }
    await ctx.app.scoringWorker.drain();
    const rows = await ctx.database.db.selectFrom('trigger_firings').select('event_id').where('org_id', '=', s.orgId).where('trigger_id', '=', id).execute();
    expect(rows).toEqual([{ event_id: b }]);
  });

  it('an observe-scope event is no step of a run (its scope is read with the active triggers)', async () => {
    const put = await call(s, 'PUT', '/settings/event-types/o', { max_processing_scope: 'observe' });
    expect(put.statusCode, put.body).toBe(200);
    const id = await create(s, '/sequences', { event_types: ['o', 'b'], fire_mode: 'every', window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    expect(await fired(id, evs(['o', 0], ['b', 10]))).toEqual([]);
    expect(await fired(id, evs(['o', 0], ['b', 10]), 2)).toEqual([]);
    // The same steps fire once `o` is back in the default scope.
    expect((await call(s, 'PUT', '/settings/event-types/o', { max_processing_scope: 'activate' })).statusCode).toBe(200);
    expect(await fired(id, evs(['o', 0], ['b', 10]))).toEqual([1]);
  });

  it('simulates a sequence over history', async () => {
    const id = await create(s, '/sequences', { event_types: ['x', 'y'], window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    const lead = await insertLead(ctx.database.db, s, 'seq-sim');
    await insertEvents(ctx.database.db, s, lead, [{ type: 'x', at: new Date(Date.now() - 7200_000) }, { type: 'y', at: new Date(Date.now() - 7000_000) }]);
    await ctx.app.scoringWorker.drain();
    // The trigger existed already, so the real evaluation fired too; the simulation agrees and writes nothing more.
    const res = await call(s, 'POST', `/sequences/${id}/simulate`, { lead_id: 'seq-sim', days: 1 });
    expect(res.json()).toMatchObject({ would_fire: true, total_matches: 1, matched_leads: [{ lead_id: 'seq-sim' }] });
    const listed = (await call(s, 'GET', `/sequences/events?trigger_id=${id}`)).json();
    expect(listed).toHaveLength(1);
  });
});

describe('pattern triggers', () => {
  it('creates, lists, updates and deletes under /triggers', async () => {
    const id = await create(s, '/triggers', { name: 'Hot burst', window_seconds: 60, conditions: [{ event_type: 'x', min_count: 2 }] });
    expect((await call(s, 'GET', '/triggers')).json()).toEqual([expect.objectContaining({ trigger_id: id, name: 'Hot burst', window_seconds: 60, conditions: [{ event_type: 'x', min_count: 2 }], active: true })]);
    expect((await call(s, 'PUT', `/triggers/${id}`, { active: false })).json()).toMatchObject({ active: false, name: 'Hot burst' });
    expectError(await call(s, 'POST', '/triggers', { window_seconds: 60, conditions: [] }), 400, 'validation_failed');
    expectError(await call(s, 'POST', '/triggers', { window_seconds: 60, conditions: [{ event_type: 'x', min_count: 0 }] }), 400, 'validation_failed');
    expect((await call(s, 'DELETE', `/triggers/${id}`)).statusCode).toBe(204);
  });

  it('fires when every condition holds in the trailing window, at most once per lead per window', async () => {
    const id = await create(s, '/triggers', { window_seconds: 60, conditions: [{ event_type: 'x', min_count: 2 }, { event_type: 'y', min_count: 1 }] });
    // x y x holds at 20 s; x at 30 s is within 60 s of that firing; at 115 s the window (55, 115] holds x x y again.
    expect(await fired(id, evs(['x', 0], ['y', 10], ['x', 20], ['x', 30], ['x', 100], ['y', 110], ['x', 115]))).toEqual([2, 6]);
    // The trailing window excludes its start: x at 0 and x, y at 60 are no burst of 60 s.
    expect(await fired(id, evs(['x', 0], ['x', 60], ['y', 60]))).toEqual([]);
  });

  it('a sequence and a pattern counting one type read it each over its own window, in one pass or several', async () => {
    const sequence = await create(s, '/sequences', { event_types: ['c', 'y'], window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    const pattern = await create(s, '/triggers', { window_seconds: 600, conditions: [{ event_type: 'c', min_count: 1 }, { event_type: 'y', min_count: 1 }] });
    for (const passes of [1, 2]) {
      const lead = await insertLead(ctx.database.db, s);
      // c 30 minutes before y: inside the sequence's hour, outside the pattern's 10 minutes; then c again 5 minutes after y.
      for (const chunk of passes === 1 ? [evs(['c', 0], ['y', 1800], ['c', 2100])] : [evs(['c', 0]), evs(['y', 1800], ['c', 2100])]) {
        await insertEvents(ctx.database.db, s, lead, chunk);
        await ctx.app.scoringWorker.drain();
      }
      const rows = await ctx.database.db.selectFrom('trigger_firings').select(['trigger_id', 'event_type']).where('org_id', '=', s.orgId).where('lead_id', '=', lead).orderBy('event_seq').execute();
      expect(rows.filter((r) => r.trigger_id === sequence).map((r) => r.event_type), `passes: ${passes}`).toEqual(['y']);
      expect(rows.filter((r) => r.trigger_id === pattern).map((r) => r.event_type), `passes: ${passes}`).toEqual(['c']);
    }
  });

  it('an inactive trigger never fires', async () => {
    const id = await create(s, '/triggers', { active: false, window_seconds: 60, conditions: [{ event_type: 'x', min_count: 1 }] });
    expect(await fired(id, evs(['x', 0]))).toEqual([]);
  });
});

describe('what evaluation reads of a lead', () => {
  it('event types named like object members or with quotes and braces are plain data: steps read and counted', async () => {
    const steps = ['__proto__', 'constructor', 'x"y\\z{},'];
    const sequence = await create(s, '/sequences', { event_types: steps, window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    const pattern = await create(s, '/triggers', { window_seconds: 600, conditions: [{ event_type: '__proto__', min_count: 2 }, { event_type: 'toString', min_count: 1 }] });
    expect(await fired(sequence, evs([steps[0]!, 0], [steps[1]!, 10], [steps[2]!, 20]), 3)).toEqual([2]);
    expect(await fired(pattern, evs(['__proto__', 0], ['toString', 10], ['__proto__', 20]), 2)).toEqual([2]);
  });

  it('a lead whose triggers count more types than one probe names (31) has them all read', async () => {
    const own = await signup(ctx.app);
    await putSurge(ctx.app, own, { mode: 'off' });
    const t = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const u = Array.from({ length: 20 }, (_, i) => `u${i}`);
    const sequence = await create(own, '/sequences', { event_types: t, ordered: false, window_seconds: 1, window_unit: 'hours', webhook_url: HOOK });
    const pattern = await create(own, '/triggers', { window_seconds: 600, conditions: u.map((type) => ({ event_type: type, min_count: 1 })) });
    const lead = await insertLead(ctx.database.db, own);
    // One pass: the t types take the first 20 bits, u11…u19 come past the mask's 31.
    const ids = await insertEvents(ctx.database.db, own, lead, evs(...[...t, ...u].map((type, i): [string, number] => [type, i])));
    await ctx.app.scoringWorker.drain();
    const rows = await ctx.database.db.selectFrom('trigger_firings').select(['trigger_id', 'event_id']).where('org_id', '=', own.orgId).where('lead_id', '=', lead).execute();
    const firedBy = (id: string) => rows.filter((r) => r.trigger_id === id).map((r) => ids.indexOf(r.event_id));
    expect(firedBy(sequence)).toEqual([19]);
    expect(firedBy(pattern)).toEqual([39]);
  });
});

describe('surge triggers [paused]', () => {
  it('stores and validates them (exactly one destination) and never fires; surge events are empty', async () => {
    const id = await create(s, '/surge-triggers', { event_type: 'x', window_seconds: 2, window_unit: 'days', threshold_count: 3, emails: ['a@example.com'] });
    expect((await call(s, 'GET', '/surge-triggers')).json()).toEqual([expect.objectContaining({ trigger_id: id, window_unit: 'days', threshold_count: 3, webhook_url: null, emails: ['a@example.com'] })]);
    expectError(await call(s, 'POST', '/surge-triggers', { window_seconds: 1, threshold_count: 1 }), 400, 'validation_failed');
    expectError(await call(s, 'POST', '/surge-triggers', { window_seconds: 1, threshold_count: 1, webhook_url: HOOK, emails: ['a@example.com'] }), 400, 'validation_failed');
    expectError(await call(s, 'PUT', `/surge-triggers/${id}`, { webhook_url: HOOK }), 400, 'validation_failed');
    expect((await call(s, 'PUT', `/surge-triggers/${id}`, { webhook_url: HOOK, emails: [] })).json()).toMatchObject({ webhook_url: HOOK, emails: [] });
    expect(await fired(id, evs(['x', 0], ['x', 1], ['x', 2], ['x', 3]))).toEqual([]);
    expect((await call(s, 'GET', '/surge-events?limit=10')).json()).toEqual([]);
    expectError(await call(s, 'GET', '/surge-events?limit=0'), 400, 'validation_failed');
    expect((await call(s, 'DELETE', `/surge-triggers/${id}`)).statusCode).toBe(204);
  });
});
