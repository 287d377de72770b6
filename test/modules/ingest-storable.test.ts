import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/http/storable.js';
import { setupTestApp } from '../helpers/app.js';
import { basic, expectError, signup, type Session } from '../helpers/factories.js';
import { importCsv, ouCounts } from '../helpers/uploads.js';

// Issue 8 item 2: what PostgreSQL cannot store is a 400 naming the field, before any write.
const ctx = setupTestApp({ SCORING_WORKER: 'false' });

const email = (value: string) => [{ alias_kind: 'email', raw_value: value }];
const json = { 'content-type': 'application/json' };

function post(s: Session, url: string, payload: string | object) {
  return ctx.app.inject({ method: 'POST', url, headers: { ...s.headers, ...json }, payload });
}


/** {a: {a: … {a: 1}}} with `levels` objects. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}
const nestedPath = (levels: number) => ['body.metadata', ...Array.from({ length: levels }, () => 'a')].join('.');

/** Raw JSON text, so escapes (\u0000, \ud800) and 1e400 reach the server as a client would send them. */
const raw = (metadata: string, rest = '"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"x@y.io"}]') =>
  `{${rest},"metadata":${metadata}}`;

const metrics = async (name: string) => {
  const body = (await ctx.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(body)?.[1]);
};

describe('POST /events refuses what the database cannot store', () => {
  it.each([
    ['NUL in a metadata value', raw('{"note":"a\\u0000b"}'), 'body.metadata.note', 'NUL'],
    ['NUL in a metadata key', raw('{"a\\u0000b":1}'), 'body.metadata.a\\u0000b', 'key'],
    ['NUL deep in metadata', raw('{"list":[{"x":"ok"},{"x":"\\u0000"}]}'), 'body.metadata.list.1.x', 'NUL'],
    ['NUL in event_type', '{"event_type":"vi\\u0000sit","aliases":[{"alias_kind":"email","raw_value":"x@y.io"}]}', 'body.event_type', 'NUL'],
    ['NUL in an alias value', '{"event_type":"visit","aliases":[{"alias_kind":"cookie","raw_value":"c\\u0000"}]}', 'body.aliases.0.raw_value', 'NUL'],
    ['a lone high surrogate', raw('{"s":"\\ud800"}'), 'body.metadata.s', 'surrogate'],
    ['a lone low surrogate in event_type', '{"event_type":"x\\udc00","aliases":[{"alias_kind":"email","raw_value":"x@y.io"}]}', 'body.event_type', 'surrogate'],
    ['a number JSON cannot hold (1e400)', raw('{"n":1e400}'), 'body.metadata.n', 'number'],
    ['a negative one (-1e400)', raw('{"n":[-1e400]}'), 'body.metadata.n.0', 'number'],
    [`metadata nested ${MAX_JSON_DEPTH + 1} levels`, raw(JSON.stringify(nested(MAX_JSON_DEPTH + 1))), nestedPath(MAX_JSON_DEPTH), 'deeper'],
    ['a timestamp PostgreSQL has no year for', raw('{}', '"event_type":"v","timestamp":"0000-01-01T00:00:00Z","aliases":[{"alias_kind":"email","raw_value":"x@y.io"}]'), 'body.timestamp', '0001'],
  ])('%s → 400 naming the field, nothing stored', async (_name, payload, field, words) => {
    const s = await signup(ctx.app);
    const body = expectError(await post(s, '/events', payload), 400, 'validation_failed');
    expect(body.details?.[0]?.field).toBe(field);
    expect(body.details?.[0]?.message).toContain(words);
    expect(await ouCounts(ctx.database, s.unitId)).toEqual({ events: 0, leads: 0, aliases: 0, messages: 0 });
  });

  it(`accepts metadata nested ${MAX_JSON_DEPTH} levels and valid surrogate pairs, stored intact`, async () => {
    const s = await signup(ctx.app);
    const metadata = { deep: nested(MAX_JSON_DEPTH - 1), emoji: 'go 🚀', 'ключ': 'значение', big: 1e300 };
    const res = await post(s, '/events', { event_type: 'visit', aliases: email('ok@y.io'), metadata });
    expect(res.statusCode, res.body).toBe(202);
    const row = await ctx.database.db.selectFrom('events').select('metadata').where('id', '=', res.json().metadata.event_id).executeTakeFirstOrThrow();
    expect(row.metadata).toEqual(metadata);
  });

  it('checks the query string and path parameters of every route', async () => {
    const s = await signup(ctx.app);
    const inQuery = expectError(await ctx.app.inject({ method: 'GET', url: '/events?metadata=a:%00', headers: s.headers }), 400, 'validation_failed');
    expect(inQuery.details?.[0]?.field).toBe('querystring.metadata');
    const inParams = expectError(await ctx.app.inject({ method: 'GET', url: '/leads/x%00y/aliases', headers: s.headers }), 400, 'validation_failed');
    expect(inParams.details?.[0]?.field).toBe('params.leadID');
    const elsewhere = await ctx.app.inject({ method: 'POST', url: '/org-units', headers: s.headers, payload: { name: 'EM\u0000EA' } });
    expect(expectError(elsewhere, 400, 'validation_failed').details?.[0]?.field).toBe('body.name');
  });

  it('answers 401 for Basic credentials whose client id holds NUL', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/events', headers: basic('id\u0000x', 'secret'), payload: { event_type: 'v' } });
    expectError(res, 401, 'unauthorized');
  });

  it('answers a data exception that escapes validation with 400, not 500', async () => {
    const s = await signup(ctx.app);
    // min_score has no upper bound in the schema; the integer column refuses it (SQLSTATE 22003).
    const res = await ctx.app.inject({ method: 'GET', url: '/leads?min_score=99999999999', headers: s.headers });
    const body = expectError(res, 400, 'bad_request');
    expect(body.message).toContain('22003');
  });
});

describe('a bad item never fails its group', () => {
  it('POST /events/batch: the bad items get their own 400, the others are stored', async () => {
    const s = await signup(ctx.app);
    const payload = `{"events":[
      {"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"g1@y.io"}]},
      {"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"bad1@y.io"}],"metadata":{"k":"\\u0000"}},
      {"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"g2@y.io"}]},
      {"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"bad2@y.io"}],"metadata":{"n":1e400}},
      {"event_type":"vi\\ud800","aliases":[{"alias_kind":"email","raw_value":"bad3@y.io"}]}
    ]}`;
    const res = await post(s, '/events/batch', payload);
    expect(res.statusCode, res.body).toBe(202);
    const results = res.json().results as Array<{ status: number; error?: string; message?: string }>;
    expect(results.map((r) => r.status)).toEqual([202, 400, 202, 400, 400]);
    expect(results[1]).toMatchObject({ error: 'validation_failed', message: expect.stringContaining('metadata.k') });
    expect(results[3]?.message).toContain('metadata.n');
    expect(results[4]?.message).toContain('event_type');
    expect(await ouCounts(ctx.database, s.unitId)).toEqual({ events: 2, leads: 2, aliases: 2, messages: 0 });
  });

  it('POST /events/import: the bad rows are reported and skipped', async () => {
    const s = await signup(ctx.app);
    const csv = [
      'event_type,metadata,email',
      'visit,,r1@y.io',
      'vi\u0000sit,,r2@y.io',
      'visit,"{""a"":""\\u0000""}",r3@y.io',
      'visit,"{""\\ud800"":1}",r4@y.io',
      'visit,"{""n"":1e400}",r5@y.io',
      `visit,"${JSON.stringify(nested(MAX_JSON_DEPTH + 1)).replaceAll('"', '""')}",r6@y.io`,
      'visit,"{""ok"":true}",r7@y.io',
    ].join('\n');
    const res = await importCsv(ctx.app, s, csv);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json() as { accepted: number; rejected: number; errors: Array<{ row: number; error: string }> };
    expect(body).toMatchObject({ accepted: 2, rejected: 5 });
    expect(body.errors.map((e) => e.row)).toEqual([3, 4, 5, 6, 7]);
    expect(body.errors.map((e) => e.error.split(':')[0])).toEqual(['event_type', 'metadata.a', 'metadata.\\ud800', 'metadata.n', nestedPath(MAX_JSON_DEPTH).replace('body.', '')]);
    expect(await ouCounts(ctx.database, s.unitId)).toMatchObject({ events: 2 });
  });

  it('concurrent POST /events with bad items: every good one is accepted and no group falls back to one by one', async () => {
    const s = await signup(ctx.app);
    const fallbacks = await metrics('ingest_group_fallbacks_total');
    const requests = Array.from({ length: 30 }, (_, i) =>
      i % 5 === 0
        ? post(s, '/events', raw('{"bad":"\\u0000"}', `"event_type":"visit","aliases":[{"alias_kind":"email","raw_value":"c${i}@y.io"}]`))
        : post(s, '/events', { event_type: 'visit', aliases: email(`c${i}@y.io`) }),
    );
    const statuses = (await Promise.all(requests)).map((r) => r.statusCode);
    expect(statuses).toEqual(Array.from({ length: 30 }, (_, i) => (i % 5 === 0 ? 400 : 202)));
    expect(await ouCounts(ctx.database, s.unitId)).toEqual({ events: 24, leads: 24, aliases: 24, messages: 0 });
    expect(await metrics('ingest_group_fallbacks_total')).toBe(fallbacks);
  });
});
