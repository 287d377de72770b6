import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { countEvents, insertEvent, insertLead, insertNormalizedPair, unscored } from '../helpers/events-factory.js';
import { addMember, assign, createCredential, expectError, signup, type Session } from '../helpers/factories.js';

// Rows are inserted directly and read back exactly: the scoring worker must not score them meanwhile.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });

function call(method: 'GET' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: object) {
  return ctx.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
}

async function viewerOf(admin: Session): Promise<Session> {
  const viewer = await addMember(ctx.app, admin);
  await assign(ctx.app, admin, admin.unitId, viewer.memberId, 'Viewer');
  return viewer;
}

/** Two organizations with events: a has page_view ×2, email_open, form_submit; b has b_only. */
async function twoOrgs() {
  const a = await signup(ctx.app);
  const b = await signup(ctx.app);
  const db = ctx.database.db;
  const [l1, l2] = [await insertLead(db, a), await insertLead(db, a)];
  await insertEvent(db, a, { leadId: l1, eventType: 'page_view', metadata: { url: '/', utm_source: 'x' } });
  await insertEvent(db, a, { leadId: l2, eventType: 'page_view', metadata: { url: '/pricing', referrer: 'g' } });
  await insertEvent(db, a, { leadId: l1, eventType: 'email_open', channel: 'email', metadata: { subject: 's' } });
  await insertEvent(db, a, { leadId: l1, eventType: 'form_submit' });
  await insertEvent(db, b, { leadId: await insertLead(db, b), eventType: 'b_only', metadata: { secret_key: 1 } });
  return { a, b };
}

describe('GET /event-types', () => {
  let a: Session;
  let b: Session;
  beforeAll(async () => ({ a, b } = await twoOrgs()));

  it('lists the OU event types, sorted, without hidden ones, plus configured ones not yet seen', async () => {
    expect((await call('GET', '/event-types', a.headers)).json()).toEqual(['email_open', 'form_submit', 'page_view']);
    await call('PUT', '/settings/event-types/form_submit', a.headers, { hidden: true });
    await call('PUT', '/settings/event-types/future_type', a.headers, { max_processing_scope: 'observe' });
    const res = await call('GET', '/event-types', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual(['email_open', 'future_type', 'page_view']);
  });

  it('is isolated per organization, both ways', async () => {
    expect((await call('GET', '/event-types', b.headers)).json()).toEqual(['b_only']);
    expect((await call('GET', '/event-types', a.headers)).json()).not.toContain('b_only');
  });

  it('is open to Viewers, needs a member session (API credentials get 403)', async () => {
    const viewer = await viewerOf(a);
    expect((await call('GET', '/event-types', viewer.headers)).statusCode).toBe(200);
    expect((await call('GET', '/event-types/page_view/properties', viewer.headers)).json().properties).toHaveLength(3);
    const credential = await createCredential(ctx.app, a);
    for (const url of ['/event-types', '/event-types/page_view/properties', '/settings/event-types']) {
      expectError(await call('GET', url, credential.headers), 403, 'forbidden');
      expectError(await call('GET', url, {}), 401, 'unauthorized');
    }
  });
});

describe('GET /event-types/{eventType}/properties', () => {
  let a: Session;
  let b: Session;
  beforeAll(async () => ({ a, b } = await twoOrgs()));

  it('lists the distinct metadata keys of the type, sorted', async () => {
    const res = await call('GET', '/event-types/page_view/properties', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ event_type: 'page_view', properties: ['referrer', 'url', 'utm_source'] });
    expect((await call('GET', '/event-types/form_submit/properties', a.headers)).json()).toEqual({
      event_type: 'form_submit',
      properties: [],
    });
  });

  it('does not show another organization keys, both ways', async () => {
    expect((await call('GET', '/event-types/b_only/properties', a.headers)).json()).toEqual({ event_type: 'b_only', properties: [] });
    expect((await call('GET', '/event-types/page_view/properties', b.headers)).json()).toEqual({ event_type: 'page_view', properties: [] });
    expect((await call('GET', '/event-types/b_only/properties', b.headers)).json().properties).toEqual(['secret_key']);
  });

  it('decodes an encoded type name', async () => {
    expect((await call('GET', `/event-types/${encodeURIComponent('a b/c')}/properties`, a.headers)).json()).toEqual({
      event_type: 'a b/c',
      properties: [],
    });
  });
});

describe('GET and PUT /settings/event-types', () => {
  let a: Session;
  let b: Session;
  beforeAll(async () => ({ a, b } = await twoOrgs()));

  const defaults = { hidden: false, max_processing_scope: 'activate', canonical_type: null };

  it('lists every stored type with default settings and its count', async () => {
    const res = await call('GET', '/settings/event-types', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([
      { event_type: 'email_open', ...defaults, count: 1 },
      { event_type: 'form_submit', ...defaults, count: 1 },
      { event_type: 'page_view', ...defaults, count: 2 },
    ]);
  });

  it('changes only the given fields, creating the setting on first use', async () => {
    const first = await call('PUT', '/settings/event-types/page_view', a.headers, { hidden: true });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ event_type: 'page_view', ...defaults, hidden: true, count: 2 });
    const second = await call('PUT', '/settings/event-types/page_view', a.headers, {
      max_processing_scope: 'decide',
      canonical_type: 'web_visit',
    });
    expect(second.json()).toEqual({
      event_type: 'page_view',
      hidden: true,
      max_processing_scope: 'decide',
      canonical_type: 'web_visit',
      count: 2,
    });
    const cleared = await call('PUT', '/settings/event-types/page_view', a.headers, { canonical_type: null, hidden: false });
    expect(cleared.json()).toEqual({ event_type: 'page_view', ...defaults, max_processing_scope: 'decide', count: 2 });
    const row = await ctx.database.db
      .selectFrom('event_type_settings')
      .selectAll()
      .where('unit_id', '=', a.unitId)
      .where('event_type', '=', 'page_view')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: a.orgId, hidden: false, max_processing_scope: 'decide', canonical_type: null });
  });

  it('accepts a type no event has used yet, which then appears with count 0', async () => {
    const res = await call('PUT', '/settings/event-types/not_yet_seen', a.headers, { max_processing_scope: 'observe' });
    expect(res.json()).toEqual({ event_type: 'not_yet_seen', ...defaults, max_processing_scope: 'observe', count: 0 });
    const list = (await call('GET', '/settings/event-types', a.headers)).json() as Array<{ event_type: string }>;
    expect(list.map((s) => s.event_type)).toEqual(['email_open', 'form_submit', 'not_yet_seen', 'page_view']);
  });

  it.each([
    [{}, 'body'],
    [{ hidden: 'yes' }, 'body.hidden'],
    [{ max_processing_scope: 'execute' }, 'body.max_processing_scope'],
    [{ canonical_type: '' }, 'body.canonical_type'],
    [{ canonical_type: 'email_open' }, 'body.canonical_type'],
  ])('answers 400 for %j and changes nothing', async (payload, field) => {
    const before = (await call('GET', '/settings/event-types', a.headers)).json();
    const body = expectError(await call('PUT', '/settings/event-types/email_open', a.headers, payload), 400, 'validation_failed');
    expect(body.details?.map((d) => d.field)).toContain(field);
    expect((await call('GET', '/settings/event-types', a.headers)).json()).toEqual(before);
  });

  it('keeps settings and counts per organization, both ways', async () => {
    await call('PUT', '/settings/event-types/b_only', b.headers, { hidden: true });
    const theirs = (await call('GET', '/settings/event-types', b.headers)).json();
    expect(theirs).toEqual([{ event_type: 'b_only', ...defaults, hidden: true, count: 1 }]);
    const mine = (await call('GET', '/settings/event-types', a.headers)).json() as Array<{ event_type: string }>;
    expect(mine.map((s) => s.event_type)).not.toContain('b_only');
    const same = await call('PUT', '/settings/event-types/email_open', b.headers, { hidden: true });
    expect(same.json()).toEqual({ event_type: 'email_open', ...defaults, hidden: true, count: 0 });
    expect((await call('GET', '/event-types', a.headers)).json()).toContain('email_open');
  });

  it('lets Viewers read but not change settings (403), and refuses API credentials', async () => {
    const viewer = await viewerOf(a);
    expect((await call('GET', '/settings/event-types', viewer.headers)).statusCode).toBe(200);
    expectError(await call('PUT', '/settings/event-types/form_submit', viewer.headers, { hidden: true }), 403, 'forbidden');
    const credential = await createCredential(ctx.app, a);
    expectError(await call('PUT', '/settings/event-types/form_submit', credential.headers, { hidden: true }), 403, 'forbidden');
    const setting = await ctx.database.db
      .selectFrom('event_type_settings')
      .select('hidden')
      .where('unit_id', '=', a.unitId)
      .where('event_type', '=', 'form_submit')
      .executeTakeFirst();
    expect(setting).toBeUndefined();
  });
});

describe('delete preview and DELETE /settings/event-types/{eventType}/events', () => {
  let a: Session;
  let b: Session;
  beforeAll(async () => {
    ({ a, b } = await twoOrgs());
    await insertEvent(ctx.database.db, b, { leadId: await insertLead(ctx.database.db, b), eventType: 'page_view' });
    await scoreEvents(a, 'page_view');
    await scoreEvents(a, 'email_open');
  });

  /** One event-score row per event of the type, on the OU primary ruleset, as the worker writes. */
  async function scoreEvents(s: Session, eventType: string) {
    const db = ctx.database.db;
    const ruleset = await db
      .selectFrom('rulesets')
      .select('id')
      .where('unit_id', '=', s.unitId)
      .where('is_primary', '=', true)
      .executeTakeFirstOrThrow();
    const events = await db
      .selectFrom('events')
      .select(['id', 'lead_id', 'occurred_at'])
      .where('unit_id', '=', s.unitId)
      .where('event_type', '=', eventType)
      .execute();
    for (const e of events) {
      await db
        .insertInto('event_scores')
        .values({
          event_id: e.id,
          ruleset_id: ruleset.id,
          org_id: s.orgId,
          unit_id: s.unitId,
          lead_id: e.lead_id,
          event_type: eventType,
          base: 5,
          multiplier: 1,
          delta: 5,
          score_before: 0,
          score_after: 5,
          occurred_at: e.occurred_at,
        })
        .execute();
    }
  }

  async function countScores(s: Session): Promise<number> {
    const row = await ctx.database.db
      .selectFrom('event_scores')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('unit_id', '=', s.unitId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function countUnscored(s: Session): Promise<number> {
    const rows = await ctx.database.db.selectFrom('events').select('id').where('unit_id', '=', s.unitId).where(unscored).execute();
    return rows.length;
  }

  it('previews the count of events and leads without deleting anything', async () => {
    const res = await call('GET', '/settings/event-types/page_view/delete-preview', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ event_type: 'page_view', events_count: 2, event_scores_count: 2, leads_count: 2 });
    expect(await countEvents(ctx.database.db, a)).toBe(4);
    expect(await countScores(a)).toBe(3);
    expect((await call('GET', '/settings/event-types/nothing/delete-preview', a.headers)).json()).toEqual({
      event_type: 'nothing',
      events_count: 0,
      event_scores_count: 0,
      leads_count: 0,
    });
  });

  it('refuses Viewers both the preview and the delete (403), deleting nothing', async () => {
    const viewer = await viewerOf(a);
    expectError(await call('GET', '/settings/event-types/page_view/delete-preview', viewer.headers), 403, 'forbidden');
    expectError(await call('DELETE', '/settings/event-types/page_view/events', viewer.headers), 403, 'forbidden');
    expect(await countEvents(ctx.database.db, a)).toBe(4);
  });

  it('deletes every event of the type in the OU only; the other organization keeps its own', async () => {
    await call('PUT', '/settings/event-types/page_view', a.headers, { hidden: true });
    const res = await call('DELETE', '/settings/event-types/page_view/events', a.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ event_type: 'page_view', events_deleted: 2, event_scores_deleted: 2 });
    expect(await countEvents(ctx.database.db, a)).toBe(2);
    // The affected leads are queued for rescoring (their other events' scores are rebuilt by the worker).
    expect(await countScores(a)).toBe(0);
    expect(await countUnscored(a)).toBe(2);
    expect(await countEvents(ctx.database.db, b)).toBe(2);
    const settings = (await call('GET', '/settings/event-types', a.headers)).json() as Array<{ event_type: string; count: number }>;
    expect(settings.find((s) => s.event_type === 'page_view')).toMatchObject({ hidden: true, count: 0 });
    expect((await call('GET', '/settings/event-types/page_view/delete-preview', b.headers)).json()).toMatchObject({ events_count: 1 });
  });

  it('from the second organization cannot delete the first one events', async () => {
    const res = await call('DELETE', '/settings/event-types/email_open/events', b.headers);
    expect(res.json()).toEqual({ event_type: 'email_open', events_deleted: 0, event_scores_deleted: 0 });
    expect((await call('GET', '/settings/event-types/email_open/delete-preview', b.headers)).json()).toMatchObject({
      events_count: 0,
      event_scores_count: 0,
    });
    expect(await countEvents(ctx.database.db, a)).toBe(2);
    expect(await countUnscored(a)).toBe(2);
  });

  it('deletes only rows of that exact type: the canonical row of a normalized pair stays', async () => {
    const c = await signup(ctx.app);
    const lead = await insertLead(ctx.database.db, c);
    await insertNormalizedPair(ctx.database.db, c, { leadId: lead, eventType: 'zoom_join', canonicalType: 'webinar_joined' });
    const res = await call('DELETE', '/settings/event-types/zoom_join/events', c.headers);
    expect(res.json()).toMatchObject({ events_deleted: 1 });
    expect((await call('GET', '/event-types', c.headers)).json()).toEqual(['webinar_joined']);
  });
});
