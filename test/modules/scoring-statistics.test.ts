import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { setupTestApp } from '../helpers/app.js';
import { signup } from '../helpers/factories.js';
import { insertEvents, insertLead } from '../helpers/scoring-factory.js';

// A database of its own whose events table has never been analyzed, like a fresh bulk-loaded one.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });

async function reltuples(database: Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`select reltuples::float8 as n from pg_class where oid = 'events'::regclass`.execute(database.db);
  return rows[0]?.n ?? Number.NaN;
}

describe('planner statistics for the scoring worker', () => {
  it('analyzes events before scoring when the table was never analyzed, so probes are planned on statistics', async () => {
    expect(await reltuples(ctx.database)).toBe(-1);
    const s = await signup(ctx.app);
    const lead = await insertLead(ctx.database.db, s);
    const start = Date.parse('2025-03-01T10:00:00Z');
    await insertEvents(ctx.database.db, s, lead, [0, 1, 2].map((i) => ({ type: 'page_view', at: new Date(start + i * 60_000) })));

    expect(await ctx.app.scoringWorker.drain()).toBe(3);
    expect(await reltuples(ctx.database)).toBe(3);
  });
});
