import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateOpenapiYaml } from '../src/openapi.js';
import { setupTestApp } from './helpers/app.js';

const ctx = setupTestApp();
const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');

function documentedOperations(yaml: string): Set<string> {
  const doc = parse(yaml) as { paths: Record<string, Record<string, unknown>> };
  const ops = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) ops.add(`${method.toUpperCase()} ${path}`);
  }
  return ops;
}

describe('openapi.yaml', () => {
  it('is exactly what the route schemas generate (run `npm run openapi` after changing a route)', async () => {
    expect(committed).toBe(await generateOpenapiYaml());
    // Generating builds a second app and serializes ~190 operations: 5 s alone, 37 s seen with the
    // suite and other runs sharing two cores.
  }, 120_000);

  it('documents every registered route and no route the server does not register', () => {
    const registered = new Set(
      ctx.app.registeredRoutes
        .filter((r) => !r.hidden)
        .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = documentedOperations(committed);
    expect([...registered].filter((op) => !documented.has(op))).toEqual([]);
    expect([...documented].filter((op) => !registered.has(op))).toEqual([]);
  });

  it('is served at /openapi.yaml and rendered at /docs', async () => {
    const yaml = await ctx.app.inject({ method: 'GET', url: '/openapi.yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers['content-type']).toContain('yaml');
    expect(yaml.body).toBe(committed);
    const docs = await ctx.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain("url: '/openapi.yaml'");
    const asset = await ctx.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    const missing = await ctx.app.inject({ method: 'GET', url: '/docs/static/..%2Fpackage.json' });
    expect(missing.statusCode).toBe(404);
  });
});
