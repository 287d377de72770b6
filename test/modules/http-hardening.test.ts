import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { MAX_OFFSET, MAX_PAGE } from '../../src/http/pagination.js';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { expectError, signup, type Session } from '../helpers/factories.js';
import { multipartFile } from '../helpers/uploads.js';

// Issue 8 items 4 and 7: content types, the import's `file` part, paging bounds, CSV export
// cells, asset lookups and the statement timeout.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const onPglite = inject('testDb').kind === 'pglite';

async function eventCount(unitId: string) {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from events where unit_id = ${unitId}`.execute(ctx.database.db);
  return rows[0]?.n;
}


describe('content types', () => {
  it.each([
    ['text/plain', 'POST', '/events', 'text/plain', '{"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"t@t.io"}]}'],
    ['text/plain on another JSON route', 'POST', '/org-units', 'text/plain; charset=utf-8', '{"name":"EMEA"}'],
    ['text/csv', 'POST', '/events/batch', 'text/csv', 'event_type\nvisit\n'],
    ['a form', 'POST', '/events', 'application/x-www-form-urlencoded', 'event_type=visit'],
  ])('a JSON route given %s answers 415 with the envelope and writes nothing', async (_name, method, url, type, payload) => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: method as 'POST', url, headers: { ...s.headers, 'content-type': type }, payload });
    expectError(res, 415, 'unsupported_media_type');
    expect(await eventCount(s.unitId)).toBe(0);
    const units = await ctx.database.db.selectFrom('org_units').select('id').where('org_id', '=', s.orgId).execute();
    expect(units).toHaveLength(1);
  });

  it('a JSON route given multipart answers 415: only the import takes multipart', async () => {
    const s = await signup(ctx.app);
    const form = multipartFile('event_type,email\nvisit,m@t.io\n', { part: 'file' });
    for (const url of ['/events', '/events/batch']) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: { ...s.headers, ...form.headers }, payload: form.payload });
      expectError(res, 415, 'unsupported_media_type');
    }
    expect(await eventCount(s.unitId)).toBe(0);
  });

  it('POST /events/import reads only the part named file: a CSV in another part is a 400 and imports nothing', async () => {
    const s = await signup(ctx.app);
    const form = multipartFile('event_type,email\nvisit,i@t.io\n', { part: 'attachment' });
    const res = await ctx.app.inject({ method: 'POST', url: '/events/import', headers: { ...s.headers, ...form.headers }, payload: form.payload });
    const body = expectError(res, 400, 'bad_request');
    expect(body.message).toContain('`file`');
    expect(body.details?.map((d) => d.field)).toEqual(['body.file']);
    expect(await eventCount(s.unitId)).toBe(0);
    const good = multipartFile('event_type,email\nvisit,i@t.io\n', { part: 'file' });
    const ok = await ctx.app.inject({ method: 'POST', url: '/events/import', headers: { ...s.headers, ...good.headers }, payload: good.payload });
    expect(ok.json()).toMatchObject({ accepted: 1, rejected: 0 });
  });
});

describe('paging bounds', () => {
  it.each(['/events', '/leads/some-lead/events', '/leads'])(`%s refuses page ${MAX_PAGE + 1} with 400`, async (url) => {
    const s = await signup(ctx.app);
    const body = expectError(await ctx.app.inject({ method: 'GET', url: `${url}?page=${MAX_PAGE + 1}`, headers: s.headers }), 400, 'validation_failed');
    expect(body.details?.map((d) => d.field)).toEqual(['querystring.page']);
    const last = await ctx.app.inject({ method: 'GET', url: `/events?page=${MAX_PAGE}&limit=500`, headers: s.headers });
    expect(last.statusCode, last.body).toBe(200);
  });

  it(`/admin/audit-logs refuses an offset past ${MAX_OFFSET}`, async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'GET', url: `/admin/audit-logs?offset=${MAX_OFFSET + 1}`, headers: s.headers });
    expect(expectError(res, 400, 'validation_failed').details?.map((d) => d.field)).toEqual(['querystring.offset']);
  });
});

describe('CSV export', () => {
  it('neutralizes cells a spreadsheet would run as formulas', async () => {
    const s = await signup(ctx.app);
    // Ingestion trims event types, so tab and CR starts are covered by the neutralizeFormula unit test.
    const types = ['=HYPERLINK("http://evil.example")', '+1+2', '-2+3', '@SUM(A1)', 'plain', 'a=b'];
    for (const [i, type] of types.entries()) {
      const at = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
      const payload = { event_type: type, timestamp: at, aliases: [{ alias_kind: 'email', raw_value: 'x@t.io' }] };
      const res = await ctx.app.inject({ method: 'POST', url: '/events', headers: s.headers, payload });
      expect(res.statusCode, res.body).toBe(202);
    }
    const res = await ctx.app.inject({ method: 'GET', url: '/events/export', headers: s.headers });
    expect(res.statusCode).toBe(200);
    const cells = res.body
      .split('\r\n')
      .slice(1, -1)
      .map((line) => line.split(',')[2])
      .reverse();
    expect(cells).toEqual(['"\'=HYPERLINK(""http://evil.example"")"', "'+1+2", "'-2+3", "'@SUM(A1)", 'plain', 'a=b']);
  });
});

describe('paths the router cannot take', () => {
  it.each([
    ['a broken percent-escape', '/rules/%E0%A4%A'],
    ['a percent-encoded lone surrogate', '/leads/%ED%A0%80/aliases'],
    ['a lone percent sign', '/levels/engagement/%'],
    ['a segment longer than 512 characters', `/org-units/${'a'.repeat(600)}/members`],
  ])('%s answers 400 with the envelope and changes nothing', async (_name, url) => {
    const s = await signup(ctx.app);
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await ctx.app.inject({ method, url, headers: s.headers, payload: method === 'PUT' ? { name: 'x' } : undefined });
      const body = expectError(res, 400, 'bad_request');
      expect(res.headers['content-type']).toContain('application/json');
      expect(Object.keys(body).sort()).toEqual(['error', 'message', 'request_id']);
      expect((body as { request_id?: string }).request_id).toBe(res.headers['x-request-id']);
    }
    const units = await ctx.database.db.selectFrom('org_units').select('name').where('org_id', '=', s.orgId).execute();
    expect(units).toHaveLength(1);
  });
});

describe('static assets', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope.js'])('GET /docs/static/%s answers 404', async (file) => {
    expectError(await ctx.app.inject({ method: 'GET', url: `/docs/static/${file}` }), 404, 'not_found');
  });

  it('still serves the swagger-ui assets', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/css');
  });
});

describe('statement timeout (PostgreSQL)', () => {
  it.skipIf(onPglite)('a statement cancelled by DB_STATEMENT_TIMEOUT_MS answers 503 with Retry-After, never its text', async () => {
    const s: Session = await signup(ctx.app);
    const database = await ctx.testDb.open({ statementTimeoutMs: 200 });
    const app = await buildTestApp(database, { SCORING_WORKER: 'false' });
    try {
      await ctx.database.db.transaction().execute(async (trx) => {
        // Another transaction holds events: every statement on it waits until the timeout.
        await sql`lock table events in access exclusive mode`.execute(trx);
        const read = await app.inject({ method: 'GET', url: '/events', headers: s.headers });
        const write = await app.inject({ method: 'POST', url: '/events', headers: s.headers, payload: { event_type: 'v', aliases: [{ alias_kind: 'email', raw_value: 'slow@t.io' }] } });
        for (const res of [read, write]) {
          expectError(res, 503, 'query_timeout');
          expect(res.headers['retry-after']).toBe('2');
          expect(res.body).not.toMatch(/statement timeout|canceling/i);
        }
      });
      expect(await eventCount(s.unitId)).toBe(0);
    } finally {
      await app.close();
      await database.close();
    }
  });

  it.skipIf(onPglite)('migrations run without the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-migrations-'));
    writeFileSync(join(dir, '9999_slow.sql'), 'select pg_sleep(0.5);');
    const database = await ctx.testDb.open({ statementTimeoutMs: 100 });
    try {
      expect(await migrate(database, dir)).toEqual(['9999_slow.sql']);
    } finally {
      await database.close();
    }
  });
});
