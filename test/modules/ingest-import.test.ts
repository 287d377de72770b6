import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { expectError, signup } from '../helpers/factories.js';
import { importCsv, multipartFile } from '../helpers/uploads.js';

// IMPORT_WRITER=copy: the COPY path on PostgreSQL; PGlite runs the batch path, so each test checks the two agree.
const ctx = setupTestApp({ IMPORT_MAX_BYTES: String(64 * 1024), SCORING_WORKER: 'false', IMPORT_WRITER: 'copy' });



async function eventCount(unitId: string) {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from events where unit_id = ${unitId}`.execute(ctx.database.db);
  return rows[0]?.n;
}

describe('POST /events/import', () => {
  it('imports good rows, reports bad ones by line and skips them', async () => {
    const s = await signup(ctx.app);
    const seeded = await ctx.app.inject({
      method: 'POST',
      url: '/events',
      headers: s.headers,
      payload: { aliases: [{ alias_kind: 'external_id', raw_value: 'crm-1' }], event_type: 'visit' },
    });
    const leadId = seeded.json().metadata.lead_id as string;
    const csv = [
      'event_type,lead_id,timestamp,metadata,external_id,email,phone,cookie,social',
      `page_view,,2025-08-15T12:00:00Z,"{""path"":""/a""}",,Ann@Example.com,,,`,
      `email_open,${leadId},,,,,,,`,
      ',,,,,x@y.io,,,',
      'page_view,,not-a-date,,,x@y.io,,,',
      'page_view,,,{not json},,x@y.io,,,',
      'page_view,,,[1],,x@y.io,,,',
      'page_view,,,,,,,,',
      'page_view,ghost,,,,,,,',
      'page_view,,,,,too,many,,,columns,here',
      'webinar_join,,,,crm-1,,,,',
      'page_view,,,,,,+1 555 0100,ck,@ann',
    ].join('\n');
    const res = await importCsv(ctx.app, s, csv);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ message: 'import finished', accepted: 4, rejected: 7 });
    expect(body.errors.map((e: { row: number }) => e.row)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(body.errors[0].error).toContain('event_type');
    expect(body.errors[1].error).toContain('timestamp');
    expect(body.errors[2].error).toContain('JSON');
    expect(body.errors[3].error).toContain('metadata');
    expect(body.errors[4].error).toContain('aliases');
    expect(body.errors[5].error).toContain('not found');
    expect(body.errors[6].error).toContain('fields');
    expect(await eventCount(s.unitId)).toBe(5);
    const rows = await ctx.database.db
      .selectFrom('events')
      .select(['event_type', 'lead_id', 'occurred_at', 'metadata', 'channel', 'scored_at'])
      .where('unit_id', '=', s.unitId)
      .orderBy('seq')
      .execute();
    expect(rows[1]).toMatchObject({ event_type: 'page_view', metadata: { path: '/a' }, scored_at: null });
    expect(rows[1]?.occurred_at.toISOString()).toBe('2025-08-15T12:00:00.000Z');
    expect(rows[2]).toMatchObject({ event_type: 'email_open', lead_id: leadId, channel: 'email' });
    expect(rows[3]).toMatchObject({ event_type: 'webinar_join', lead_id: leadId });
    const ann = await ctx.database.db
      .selectFrom('lead_aliases')
      .select('value')
      .where('unit_id', '=', s.unitId)
      .where('lead_id', '=', rows[4]?.lead_id as string)
      .orderBy('value')
      .execute();
    expect(ann.map((a) => a.value)).toEqual(['+15550100', '@ann', 'ck']);
  });

  it('resolves aliases across chunks and commits each lead\'s rows in file order', async () => {
    const s = await signup(ctx.app);
    // 2,200 rows in chunks of 1,000: the first chunk creates leads 0-299, the second 300-599,
    // and the third (looked up while the second is being written) reuses those of the second.
    const lines = ['event_type,external_id,cookie'];
    for (let i = 0; i < 2200; i++) {
      const k = i < 1000 ? i % 300 : 300 + (i % 300);
      lines.push(`r${i},e${k},c${k}`);
    }
    const res = await importCsv(ctx.app, s, lines.join('\n'));
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 2200, rejected: 0 });

    const { rows: aliases } = await sql<{ lead_id: string; kinds: string }>`
      select lead_id, string_agg(kind || ':' || value, ',' order by kind) as kinds
      from lead_aliases where unit_id = ${s.unitId} group by lead_id`.execute(ctx.database.db);
    expect(aliases.length).toBe(600);
    for (const a of aliases) expect(a.kinds).toMatch(/^cookie:c(\d+),external_id:e\1$/);
    const { rows: leads } = await sql<{ n: number }>`select count(*)::int as n from leads where unit_id = ${s.unitId}`.execute(ctx.database.db);
    expect(leads[0]?.n).toBe(600);

    const { rows: order } = await sql<{ lead_id: string; rows: number[] }>`
      select lead_id, array_agg(substr(event_type, 2)::int order by seq) as rows
      from events where unit_id = ${s.unitId} group by lead_id`.execute(ctx.database.db);
    expect(order.reduce((n, o) => n + o.rows.length, 0)).toBe(2200);
    for (const o of order) expect(o.rows).toEqual([...o.rows].sort((x, y) => x - y));
  });

  it('resolves a file in order: a row takes the lead of the first alias owned or named before it', async () => {
    const s = await signup(ctx.app);
    const known = await ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload: { aliases: [{ alias_kind: 'email', raw_value: 'known@a.io' }], event_type: 'visit' } });
    const knownLead = known.json().metadata.lead_id as string;
    // r1 creates L1 (cookie c1); r2 creates L2 (cookie c2); r3 names external c3 first (nobody's) then
    // cookie c2 (r2's): L2, and c3 joins L2; r4 names c3 (joined by r3): L2, and cookie c4 joins L2;
    // r5 starts with a known email: that lead, c1 stays L1's; r6 names c3 (L2) before c1 (L1): the first
    // owned alias wins; r7 names only c4, joined two rows through: L2.
    const csv = [
      'event_type,external_id,email,cookie',
      'r1,,,c1',
      'r2,,,c2',
      'r3,c3,,c2',
      'r4,c3,,c4',
      'r5,,known@a.io,c1',
      'r6,c3,,c1',
      'r7,,,c4',
    ].join('\n');
    expect((await importCsv(ctx.app, s, csv)).json()).toMatchObject({ accepted: 7, rejected: 0 });
    const { rows } = await sql<{ event_type: string; lead_id: string }>`
      select event_type, lead_id from events where unit_id = ${s.unitId} and event_type like 'r%' order by seq`.execute(ctx.database.db);
    const lead = Object.fromEntries(rows.map((r) => [r.event_type, r.lead_id]));
    expect(new Set([lead.r1, lead.r2, knownLead]).size).toBe(3);
    expect([lead.r3, lead.r4, lead.r6, lead.r7]).toEqual([lead.r2, lead.r2, lead.r2, lead.r2]);
    expect(lead.r5).toBe(knownLead);
    const { rows: aliases } = await sql<{ kind: string; value: string; lead_id: string }>`
      select kind, value, lead_id from lead_aliases where unit_id = ${s.unitId} order by kind, value`.execute(ctx.database.db);
    expect(aliases.map((a) => [a.kind, a.value, a.lead_id])).toEqual([
      ['cookie', 'c1', lead.r1],
      ['cookie', 'c2', lead.r2],
      ['cookie', 'c4', lead.r2],
      ['email', 'known@a.io', knownLead],
      ['external_id', 'c3', lead.r2],
    ]);
  });

  it('follows merged leads, stores a normalized type as a raw + canonical pair, and reports a repeated missing lead', async () => {
    const s = await signup(ctx.app);
    const post = (payload: object) => ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload });
    const loser = (await post({ aliases: [{ alias_kind: 'email', raw_value: 'loser@m.io' }], event_type: 'visit' })).json().metadata.lead_id as string;
    const survivor = (await post({ aliases: [{ alias_kind: 'email', raw_value: 'survivor@m.io' }], event_type: 'visit' })).json().metadata.lead_id as string;
    await ctx.database.db.updateTable('leads').set({ merged_into: survivor }).where('unit_id', '=', s.unitId).where('id', '=', loser).execute();
    const put = (type: string, payload: object) => ctx.app.inject({ method: 'PUT', url: `/settings/event-types/${type}`, headers: s.headers, payload });
    expect((await put('page_view', { canonical_type: 'web_visit' })).statusCode).toBe(200);
    expect((await put('quiet', { max_processing_scope: 'observe' })).statusCode).toBe(200);
    const csv = [
      'event_type,lead_id,email,message_id,metadata',
      'page_view,,loser@m.io,,',
      `email_open,${loser},,,`,
      'quiet,,new@m.io,,"{""channel"":""slack""}"',
      'visit,ghost,,m-1,',
      'visit,ghost,,m-1,',
      'visit,,new@m.io,m-2,',
      'visit,,new@m.io,m-2,',
    ].join('\n');
    const body = (await importCsv(ctx.app, s, csv)).json();
    expect(body).toMatchObject({ accepted: 5, duplicates: 1, rejected: 2 });
    expect(body.errors.map((e: { row: number; error: string }) => [e.row, e.error])).toEqual([[5, 'lead not found'], [6, 'lead not found']]);
    const rows = await ctx.database.db
      .selectFrom('events')
      .select(['id', 'event_type', 'lead_id', 'channel', 'normalized', 'normalized_parent', 'raw_event_id', 'scored_at'])
      .where('unit_id', '=', s.unitId)
      .where('event_type', 'not in', ['visit'])
      .orderBy('seq')
      .execute();
    const [raw, canonical, open, quiet] = rows;
    expect(raw).toMatchObject({ event_type: 'page_view', lead_id: survivor, normalized: true, normalized_parent: false, raw_event_id: null });
    expect(raw?.scored_at).not.toBeNull();
    expect(canonical).toMatchObject({ event_type: 'web_visit', lead_id: survivor, normalized: true, normalized_parent: true, raw_event_id: raw?.id, scored_at: null, channel: 'web' });
    expect(open).toMatchObject({ event_type: 'email_open', lead_id: survivor, channel: 'email', scored_at: null });
    expect(quiet).toMatchObject({ event_type: 'quiet', channel: 'slack' });
    expect(quiet?.scored_at).not.toBeNull();
    const visits = await ctx.database.db.selectFrom('events').select('lead_id').where('unit_id', '=', s.unitId).where('event_type', '=', 'visit').orderBy('seq').execute();
    expect(visits.length).toBe(3);
    expect(visits[2]?.lead_id).toBe(quiet?.lead_id);
  });

  it('reports a row with a broken quote and keeps the rows around it', async () => {
    const s = await signup(ctx.app);
    const csv = 'event_type,email\nvisit,a@a.io\nvisit,"unclosed@a.io\n';
    const res = await importCsv(ctx.app, s, csv);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.json().errors[0].error).toContain('malformed CSV');
    expect(await eventCount(s.unitId)).toBe(1);
  });

  it('refuses a CSV without an event_type column (400) and stores nothing', async () => {
    const s = await signup(ctx.app);
    expectError(await importCsv(ctx.app, s, 'type,email\nvisit,a@a.io\n'), 400, 'bad_request');
    expectError(await importCsv(ctx.app, s, ''), 400, 'bad_request');
    expect(await eventCount(s.unitId)).toBe(0);
  });

  it('refuses a non-CSV upload (415), a JSON body (415) and a form without a file (400)', async () => {
    const s = await signup(ctx.app);
    expectError(await importCsv(ctx.app, s, Buffer.from([0x89, 0x50, 0x4e, 0x47]), { filename: 'logo.png', type: 'image/png' }), 415, 'unsupported_media_type');
    const json = await ctx.app.inject({ method: 'POST', url: '/events/import', headers: s.headers, payload: { event_type: 'x' } });
    expectError(json, 415, 'unsupported_media_type');
    const boundary = 'b0undary';
    const noFile = await ctx.app.inject({
      method: 'POST',
      url: '/events/import',
      headers: { ...s.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`,
    });
    expectError(noFile, 400, 'bad_request');
    expect(await eventCount(s.unitId)).toBe(0);
  });

  it('accepts an octet-stream upload named .csv', async () => {
    const s = await signup(ctx.app);
    const res = await importCsv(ctx.app, s, 'event_type,cookie\nvisit,c1\n', { filename: 'export.csv', type: 'application/octet-stream' });
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('answers 413 past IMPORT_MAX_BYTES', async () => {
    const s = await signup(ctx.app);
    const lines = ['event_type,cookie'];
    for (let i = 0; lines.join('\n').length < 80 * 1024; i++) lines.push(`visit,cookie-${i}`);
    expectError(await importCsv(ctx.app, s, lines.join('\n')), 413, 'payload_too_large');
  });

  it('answers 400 when the multipart body ends without its closing boundary, and imports nothing', async () => {
    const s = await signup(ctx.app);
    const boundary = 'cut-short';
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/events/import',
      headers: { ...s.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="e.csv"\r\n\r\nevent_type,email\nvisit,a@b.io\n`,
    });
    expect(expectError(res, 400, 'bad_request').message).toContain('closing boundary');
    expect(await eventCount(s.unitId)).toBe(0);
  });

  it('answers 400 when the multipart content type has no boundary, and imports nothing', async () => {
    const s = await signup(ctx.app);
    const body = multipartFile('event_type,email\nvisit,a@b.io\n');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/events/import',
      headers: { ...s.headers, 'content-type': 'multipart/form-data' },
      payload: body.payload,
    });
    expect(expectError(res, 400, 'bad_request').message).toContain('boundary');
    expect(await eventCount(s.unitId)).toBe(0);
  });
});
