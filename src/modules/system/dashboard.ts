import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { MIGRATIONS_DIR } from '../../db/migrate.js';
import { AppError } from '../../http/errors.js';

/** Where `npm install` (the `prepare` script) builds the dashboard (docs/dashboard.md). */
export const WEB_DIST_DIR = join(MIGRATIONS_DIR, '..', 'web', 'dist');
/** The URL prefix of the dashboard's assets; `web/vite.config.ts` builds with the same base. */
export const WEB_ASSET_PREFIX = '/app/';

/** Shown at `/` when the dashboard was not built (e.g. `npm ci --ignore-scripts`). */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Leadvibe</title></head>
<body><h1>Leadvibe</h1><p>The engagement-scoring API is running. The dashboard is not built on this
server: run <code>npm run web:build</code> and reload.</p>
<p><a href="/docs">API reference</a> · <a href="/openapi.yaml">openapi.yaml</a></p></body></html>`;

/** One file name of the flat build output: no directory part, no dot file. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** The dashboard's index page, read once it exists (a build while the server runs is picked up). */
export function dashboardPage(): () => string {
  let page: string | null = null;
  return () => {
    if (page !== null) return page;
    const file = join(WEB_DIST_DIR, 'index.html');
    if (!existsSync(file)) return NOT_BUILT_PAGE;
    page = readFileSync(file, 'utf8');
    return page;
  };
}

/** GET /app/:file — the built dashboard's assets, public like the page that loads them. */
export async function dashboardAssets(app: FastifyInstance) {
  await app.register(fastifyStatic, { root: WEB_DIST_DIR, serve: false });
  app.withTypeProvider<ZodTypeProvider>().get(`${WEB_ASSET_PREFIX}:file`, {
    config: { access: access.public },
    schema: { hide: true, params: z.object({ file: z.string() }) },
    handler: async (request, reply) => {
      const { file } = request.params;
      if (!ASSET_NAME.test(file)) throw new AppError('not_found', 'no such asset');
      // Vite names every asset by its content hash: a name never changes meaning.
      return reply.sendFile(file, { maxAge: '365d', immutable: true });
    },
  });
}
