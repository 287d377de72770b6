import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Database } from '../../db/database.js';
import { MIGRATIONS_DIR } from '../../db/migrate.js';
import { AppError, errorBodySchema } from '../../http/errors.js';
import type { Metrics } from '../../http/metrics.js';
import { dashboardAssets, dashboardPage } from './dashboard.js';

const OPENAPI_FILE = join(MIGRATIONS_DIR, '..', 'openapi.yaml');

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
// A Map, not an object literal: `constructor` or `__proto__` must not name an asset.
const SWAGGER_ASSETS = new Map<string, string>([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'application/javascript; charset=utf-8'],
  ['swagger-ui-standalone-preset.js', 'application/javascript; charset=utf-8'],
]);

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Leadvibe API reference</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });</script>
</body></html>`;

const status = z.object({ status: z.literal('ok') });
const pageStatus = z.object({ status: z.literal('ok'), page: z.literal('home') });
const text = z.string();

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

function sendPage(reply: FastifyReply, page: string) {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').serializer(String).send(page);
}

export async function systemRoutes(app: FastifyInstance, deps: { database: Database; metrics: Metrics }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Root'];
  const spaPage = dashboardPage();
  await dashboardAssets(app);

  r.get('/', {
    config: { access: access.public },
    schema: { tags, operationId: 'root', summary: 'SPA index (Accept: text/html) or a status payload', response: { 200: status } },
    handler: async (request, reply) => (wantsHtml(request) ? sendPage(reply, spaPage()) : { status: 'ok' as const }),
  });

  r.get('/home', {
    config: { access: access.public },
    schema: { tags, operationId: 'home', summary: 'SPA home (Accept: text/html) or a status payload', response: { 200: pageStatus } },
    handler: async (request, reply) => (wantsHtml(request) ? sendPage(reply, spaPage()) : { status: 'ok' as const, page: 'home' as const }),
  });

  r.get('/healthz', {
    config: { access: access.public },
    schema: { tags, operationId: 'healthz', summary: 'Liveness', response: { 200: status } },
    handler: async () => ({ status: 'ok' as const }),
  });

  r.get('/readyz', {
    config: { access: access.public },
    schema: {
      tags,
      operationId: 'readyz',
      summary: 'Readiness: 200 when the database answers, else 503',
      response: { 200: status, 503: errorBodySchema },
    },
    handler: async (request) => {
      try {
        await deps.database.ping();
      } catch (err) {
        request.log.warn({ err }, 'database is not answering');
        throw new AppError('not_ready', 'the database is not answering');
      }
      return { status: 'ok' as const };
    },
  });

  r.get('/metrics', {
    config: { access: access.public },
    schema: { tags, operationId: 'metrics', summary: 'Prometheus metrics (text format 0.0.4)', response: { 200: text } },
    handler: async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).serializer(String).send(body);
    },
  });

  r.get('/openapi.yaml', {
    config: { access: access.public },
    schema: { tags, operationId: 'openapiDocument', summary: 'The OpenAPI document', response: { 200: text } },
    handler: async (_request, reply) =>
      reply.type('application/yaml').serializer(String).send(readFileSync(OPENAPI_FILE, 'utf8')),
  });

  r.get('/docs', {
    config: { access: access.public },
    schema: { tags, operationId: 'docs', summary: 'Interactive API reference rendered from openapi.yaml', response: { 200: text } },
    handler: async (_request, reply) => sendPage(reply, DOCS_PAGE),
  });

  r.get('/docs/static/:file', {
    config: { access: access.public },
    schema: { hide: true, params: z.object({ file: z.string() }) },
    handler: async (request, reply) => {
      const type = SWAGGER_ASSETS.get(request.params.file);
      if (!type) throw new AppError('not_found', 'no such asset');
      return reply
        .type(type)
        .header('cache-control', 'public, max-age=86400')
        .serializer(String)
        .send(readFileSync(join(SWAGGER_UI_DIR, request.params.file), 'utf8'));
    },
  });
}
