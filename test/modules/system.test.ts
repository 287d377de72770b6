import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import { buildTestApp, setupTestApp } from '../helpers/app.js';
import { expectError, signup } from '../helpers/factories.js';

const ctx = setupTestApp();

describe('root, health and metrics', () => {
  it('GET / and /home answer JSON, or the page when the client accepts HTML', async () => {
    expect((await ctx.app.inject({ method: 'GET', url: '/' })).json()).toEqual({ status: 'ok' });
    expect((await ctx.app.inject({ method: 'GET', url: '/home' })).json()).toEqual({ status: 'ok', page: 'home' });
    const page = await ctx.app.inject({ method: 'GET', url: '/home', headers: { accept: 'text/html' } });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<title>Leadvibe</title>');
  });

  it('GET /healthz and /readyz answer ok when the database answers', async () => {
    expect((await ctx.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await ctx.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 503 when the database does not answer', async () => {
    const unreachable = await createDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 });
    const app = await buildTestApp(unreachable);
    try {
      expectError(await app.inject({ method: 'GET', url: '/readyz' }), 503, 'not_ready');
    } finally {
      await app.close();
      await unreachable.close();
    }
  });

  it('GET /metrics exposes http_requests_total by method and status, and process metrics', async () => {
    await ctx.app.inject({ method: 'GET', url: '/no-such-route' });
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('# TYPE http_requests_total counter');
    expect(res.body).toMatch(/http_requests_total\{method="GET",status="404"\} [1-9]/);
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('echoes a client x-request-id, else makes one', async () => {
    const given = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers['x-request-id']).toBe('trace-123');
    const made = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the error envelope for Fastify’s own errors', () => {
  it('unknown route → 404 not_found', async () => {
    const body = expectError(await ctx.app.inject({ method: 'GET', url: '/nope?x=1' }), 404, 'not_found');
    expect(body).toMatchObject({ message: 'route GET /nope not found' });
  });

  it('bad JSON → 400 invalid_json, and nothing is written', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/org-units',
      headers: { ...s.headers, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expectError(res, 400, 'invalid_json');
    expect(await ctx.database.db.selectFrom('org_units').select('id').where('org_id', '=', s.orgId).execute()).toHaveLength(1);
  });

  it('body over the limit → 413 payload_too_large, and nothing is written', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/org-units', headers: s.headers, payload: { name: 'x'.repeat(2_000_000) } });
    expectError(res, 413, 'payload_too_large');
    expect(await ctx.database.db.selectFrom('org_units').select('id').where('org_id', '=', s.orgId).execute()).toHaveLength(1);
  });

  it('wrong content type → 415 unsupported_media_type, and nothing is written', async () => {
    const s = await signup(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/org-units',
      headers: { ...s.headers, 'content-type': 'application/xml' },
      payload: '<name>x</name>',
    });
    expectError(res, 415, 'unsupported_media_type');
    expect(await ctx.database.db.selectFrom('org_units').select('id').where('org_id', '=', s.orgId).execute()).toHaveLength(1);
  });

  it('authentication comes before validation: no token → 401 even with a bad body', async () => {
    expectError(await ctx.app.inject({ method: 'POST', url: '/org-units', payload: { nope: 1 } }), 401, 'unauthorized');
  });
});
