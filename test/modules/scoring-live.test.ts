import { describe, expect, it } from 'vitest';
import type { LiveMessage } from '../../src/live/live-hub.js';
import { setupTestApp } from '../helpers/app.js';
import { signup } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead, primaryRulesetId } from '../helpers/scoring-factory.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });

describe('live scoring events', () => {
  it('publishes score_update for every scored event and surge for a surged one, on the OU’s stream only', async () => {
    const s = await signup(ctx.app);
    const other = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const lead = await insertLead(ctx.database.db, s);
    const otherLead = await insertLead(ctx.database.db, other);

    const received: LiveMessage[] = [];
    let done!: () => void;
    const complete = new Promise<void>((resolve) => (done = resolve));
    const unsubscribe = ctx.app.live.subscribe([s.unitId], (m) => {
      received.push(m);
      if (received.filter((x) => x.name === 'score_update').length === 3 && received.some((x) => x.name === 'surge')) done();
    });
    try {
      const start = Date.parse('2025-03-01T10:00:00Z');
      await insertEvents(ctx.database.db, s, lead, [0, 1, 2].map((i) => ({ type: 'page_view', at: new Date(start + i * 60_000) })));
      await insertEvents(ctx.database.db, other, otherLead, [{ type: 'page_view', at: new Date(start) }]);
      await ctx.app.scoringWorker.drain();
      await complete;
    } finally {
      unsubscribe();
    }
    expect(received.every((m) => m.unitId === s.unitId)).toBe(true);
    // Sorted: on PostgreSQL each message is its own NOTIFY, possibly on different pool connections.
    const updates = received.filter((m) => m.name === 'score_update').map((m) => m.data as { score: number });
    expect(updates.sort((a, b) => a.score - b.score)).toEqual([
      { lead_id: lead, ruleset_id: primary, delta: 10, score: 10, level: 'Cold' },
      { lead_id: lead, ruleset_id: primary, delta: 10, score: 20, level: 'Cold' },
      { lead_id: lead, ruleset_id: primary, delta: 13, score: 33, level: 'Cold' },
    ]);
    expect(received.find((m) => m.name === 'surge')?.data).toMatchObject({ lead_id: lead, ruleset_id: primary, multiplier: 1.25, session_events: 3 });
  });
});
