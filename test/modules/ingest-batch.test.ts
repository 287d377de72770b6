import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';

const ctx = setupTestApp();

function batch(session: Session, events: unknown[]) {
  return ctx.app.inject({ method: 'POST', url: '/events/batch', headers: session.headers, payload: { events } });
}

async function eventCount(unitId: string) {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from events where unit_id = ${unitId}`.execute(ctx.database.db);
  return rows[0]?.n;
}

const visit = (value: string, extra: Record<string, unknown> = {}) => ({
  aliases: [{ alias_kind: 'email', raw_value: value }],
  event_type: 'visit',
  ...extra,
});

describe('POST /events/batch', () => {
  it('answers per-item results in order and stores only the good items', async () => {
    const s = await signup(ctx.app);
    const res = await batch(s, [
      visit('a@b.io'),
      { event_type: 'visit' },
      visit('a@b.io', { event_type: 'signup' }),
      { lead_id: 'missing', event_type: 'visit' },
      visit('c@b.io', { metadata: { big: 'x'.repeat(101 * 1024) } }),
      'not an object',
      visit('c@b.io', { timestamp: '2025-01-01T00:00:00Z' }),
    ]);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ message: 'events processed', accepted: 3, rejected: 4 });
    const results = body.results as Array<Record<string, unknown>>;
    expect(results.map((r) => r.status)).toEqual([202, 400, 202, 404, 413, 400, 202]);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results[0]).toMatchObject({ lead_created: true, event_id: expect.any(String) });
    expect(results[2]).toMatchObject({ lead_id: results[0]?.lead_id, lead_created: false });
    expect(results[1]).toMatchObject({ error: 'validation_failed', message: expect.stringContaining('aliases') });
    expect(results[3]).toMatchObject({ error: 'not_found' });
    expect(results[4]).toMatchObject({ error: 'payload_too_large' });
    expect(results[6]).toMatchObject({ lead_created: true });
    expect(await eventCount(s.unitId)).toBe(3);
    const rows = await ctx.database.db
      .selectFrom('events')
      .select(['id', 'seq'])
      .where('unit_id', '=', s.unitId)
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.id)).toEqual([results[0]?.event_id, results[2]?.event_id, results[6]?.event_id]);
  });

  it('ingests 1000 events in one request', async () => {
    const s = await signup(ctx.app);
    const events = Array.from({ length: 1000 }, (_, i) => visit(`lead-${i % 100}@b.io`));
    const res = await batch(s, events);
    expect(res.json()).toMatchObject({ accepted: 1000, rejected: 0 });
    expect(await eventCount(s.unitId)).toBe(1000);
    const leads = await ctx.database.db.selectFrom('leads').select('id').where('unit_id', '=', s.unitId).execute();
    expect(leads.length).toBe(100);
  });

  it.each([
    ['an empty batch', { events: [] }],
    ['1001 events', { events: Array.from({ length: 1001 }, () => visit('x@y.io')) }],
    ['no events field', {}],
  ])('refuses %s with 400 and stores nothing', async (_name, payload) => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/events/batch', headers: s.headers, payload });
    expectError(res, 400, 'validation_failed');
    expect(await eventCount(s.unitId)).toBe(0);
  });
});
