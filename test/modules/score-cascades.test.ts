import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { signup, type Session } from '../helpers/factories.js';
import { createRule, insertEvents, insertLead, primaryRulesetId } from '../helpers/scoring-factory.js';

// event_scores and scoring_queue carry no per-row foreign key (migration 0062): statement triggers
// on events and rulesets delete their rows instead. Every way of deleting must leave none behind.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });

async function rowsOf(s: Session, table: 'event_scores' | 'scoring_queue', eventIds: string[]): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(table)} where org_id = ${s.orgId} and event_id = any(${eventIds}::uuid[])`.execute(ctx.database.db);
  return rows[0]?.n ?? 0;
}

async function scoredLead(s: Session, events: number): Promise<{ lead: string; ids: string[] }> {
  const lead = await insertLead(ctx.database.db, s);
  const at = (i: number) => new Date(Date.parse('2025-03-01T10:00:00Z') + i * 60_000);
  const ids = await insertEvents(ctx.database.db, s, lead, Array.from({ length: events }, (_, i) => ({ type: 'page_view', at: at(i) })));
  await ctx.app.scoringWorker.drain();
  return { lead, ids };
}

describe('score rows follow the events and rule sets they belong to', () => {
  it('deleting events removes their scores and queue rows, and nothing of other events', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const { ids } = await scoredLead(s, 3);
    const rulesets = (await sql<{ n: number }>`select count(*)::int as n from rulesets where unit_id = ${s.unitId}`.execute(ctx.database.db)).rows[0]?.n ?? 0;
    expect(await rowsOf(s, 'event_scores', ids)).toBe(3 * rulesets);
    const queued = await insertEvents(ctx.database.db, s, await insertLead(ctx.database.db, s), [{ type: 'page_view', at: '2025-03-02T10:00:00Z' }]);
    expect(await rowsOf(s, 'scoring_queue', queued)).toBe(1);

    const res = await ctx.app.inject({ method: 'POST', url: '/events/batch-delete', headers: s.headers, payload: { ids: [ids[0], queued[0]] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await rowsOf(s, 'event_scores', [ids[0] as string])).toBe(0);
    expect(await rowsOf(s, 'scoring_queue', queued)).toBe(0);
    // The lead's other events are rescored without the deleted one.
    await ctx.app.scoringWorker.drain();
    expect(await rowsOf(s, 'event_scores', ids.slice(1))).toBe(2 * rulesets);
    expect(await rowsOf(s, 'event_scores', [ids[0] as string])).toBe(0);
  });

  it('deleting a lead (its events go by cascade) removes their scores and queue rows', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const { lead, ids } = await scoredLead(s, 2);
    const pending = await insertEvents(ctx.database.db, s, lead, [{ type: 'page_view', at: '2025-03-03T10:00:00Z' }]);
    await ctx.database.db.deleteFrom('leads').where('org_id', '=', s.orgId).where('id', '=', lead).execute();
    expect(await rowsOf(s, 'event_scores', ids)).toBe(0);
    expect(await rowsOf(s, 'scoring_queue', pending)).toBe(0);
  });

  it('deleting leads removes their lead_scores and lead_scoring_state rows (0067), and only theirs', async () => {
    const s = await signup(ctx.app);
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const gone = await scoredLead(s, 2);
    const kept = await scoredLead(s, 1);
    const rowsOfLead = async (lead: string) =>
      (await sql<{ scores: number; states: number }>`
        select (select count(*)::int from lead_scores where org_id = ${s.orgId} and lead_id = ${lead}) as scores,
               (select count(*)::int from lead_scoring_state where org_id = ${s.orgId} and lead_id = ${lead}) as states`.execute(ctx.database.db)).rows[0];
    expect(await rowsOfLead(gone.lead)).toMatchObject({ states: 1 });
    expect((await rowsOfLead(gone.lead))?.scores).toBeGreaterThan(0);
    await ctx.database.db.deleteFrom('leads').where('org_id', '=', s.orgId).where('id', '=', gone.lead).execute();
    expect(await rowsOfLead(gone.lead)).toEqual({ scores: 0, states: 0 });
    expect(await rowsOfLead(kept.lead)).toMatchObject({ states: 1 });
    // An organization's delete cascades through its OUs and leads to the same rows.
    await ctx.database.db.deleteFrom('organizations').where('id', '=', s.orgId).execute();
    expect(await rowsOfLead(kept.lead)).toEqual({ scores: 0, states: 0 });
  });

  it('deleting a rule set removes its event scores and lead scores (0072) only', async () => {
    const s = await signup(ctx.app);
    const primary = await primaryRulesetId(ctx.app, s);
    const created = await ctx.app.inject({ method: 'POST', url: '/rulesets', headers: s.headers, payload: { name: 'Second' } });
    expect(created.statusCode, created.body).toBe(201);
    const second = created.json<{ ruleset_id: string }>().ruleset_id;
    await createRule(ctx.app, s, { event_type: 'page_view', weight: 10 });
    const { ids } = await scoredLead(s, 2);
    const byRuleset = async (rulesetId: string) =>
      (await sql<{ n: number; totals: number }>`
        select (select count(*)::int from event_scores where org_id = ${s.orgId} and ruleset_id = ${rulesetId}) as n,
               (select count(*)::int from lead_scores where org_id = ${s.orgId} and ruleset_id = ${rulesetId}) as totals`.execute(ctx.database.db)).rows[0];
    expect(await byRuleset(second)).toEqual({ n: ids.length, totals: 1 });

    const res = await ctx.app.inject({ method: 'DELETE', url: `/rulesets/${second}`, headers: s.headers });
    expect(res.statusCode, res.body).toBe(204);
    expect(await byRuleset(second)).toEqual({ n: 0, totals: 0 });
    expect(await byRuleset(primary)).toEqual({ n: ids.length, totals: 1 });
  });
});
