import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../helpers/app.js';
import { expectError } from '../helpers/factories.js';
import { ensureDashboardBuilt, WEB_DIST } from '../helpers/dashboard.js';

const ctx = setupTestApp();
let index = '';
let script = '';

beforeAll(() => {
  ensureDashboardBuilt();
  index = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  script = readdirSync(WEB_DIST).find((f) => f.endsWith('.js'))!;
});

describe('the dashboard at / (docs/dashboard.md)', () => {
  it('serves the built index page to browsers at / and /home, and JSON to everyone else', async () => {
    for (const url of ['/', '/home']) {
      const page = await ctx.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.body).toBe(index);
      expect(page.body).toContain(`src="/app/${script}"`);
    }
    expect((await ctx.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } })).json()).toEqual({ status: 'ok' });
  });

  it('serves its assets under /app/, without authentication, cached for good (names carry a content hash)', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: `/app/${script}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(readFileSync(join(WEB_DIST, script), 'utf8'));
    const css = readdirSync(WEB_DIST).find((f) => f.endsWith('.css'))!;
    expect((await ctx.app.inject({ method: 'GET', url: `/app/${css}` })).headers['content-type']).toContain('text/css');
  });

  it('answers 404 with the error envelope for a missing asset or a path outside the build', async () => {
    expectError(await ctx.app.inject({ method: 'GET', url: '/app/nope.js' }), 404, 'not_found');
    for (const url of ['/app/..%2Fpackage.json', '/app/.hidden', '/app/%2e%2e%2fvite.config.ts']) {
      expectError(await ctx.app.inject({ method: 'GET', url }), 404, 'not_found');
    }
    expectError(await ctx.app.inject({ method: 'GET', url: '/app/a/b.js' }), 404, 'not_found');
    expectError(await ctx.app.inject({ method: 'GET', url: '/app/index.html%00.js' }), 400, 'validation_failed');
  });
});
