/**
 * The server process of the benchmarks: the real app (buildApp) configured as `npm start` is by
 * default (scoring worker on, LOG_LEVEL info, pool of 10), plus two routes that answer 202 without
 * touching the database, registered only here:
 *   POST /bench/noop-auth  same auth as POST /events (Basic, Operator in the active OU)
 *   POST /bench/noop       no auth at all: Fastify answering a JSON POST
 *   GET /bench/select1-auth  same auth, one `select 1` through the app's pool: any read's fixed cost
 * Signs up one organization, gives its OU a few scoring rules and an inorganic filter (a user's
 * OU scores something), then sends {port, authorization, orgId, unitId} over IPC.
 * Knobs: BENCH_SCORING (default true), BENCH_LOG_LEVEL, BENCH_POOL, BENCH_RULES=0 (defaults only),
 * BENCH_CPU_PROF=<dir> (profile between the parent's profile-start and profile-stop commands),
 * BENCH_SERVER_DIR=<checkout> (run that checkout's app: its src/ and its migrations, applied here,
 * so before and after can be measured in one run; default: this checkout).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';

// startAppServer runs this file compiled, against the app compiled into BENCH_APP_DIR/dist; under
// tsx (npx tsx bench/server.ts) it loads the app's TypeScript.
const compiled = import.meta.url.endsWith('.js');
const appDir = resolve(process.env.BENCH_APP_DIR || process.env.BENCH_SERVER_DIR || join(import.meta.dirname, '..'));
const load = <T>(path: string) =>
  import(pathToFileURL(join(appDir, compiled ? path.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js') : path)).href) as Promise<T>;
const { access } = await load<typeof import('../src/auth/access.js')>('src/auth/access.ts');
const { buildApp } = await load<typeof import('../src/app.js')>('src/app.ts');
const { loadConfig } = await load<typeof import('../src/config.js')>('src/config.ts');
const { createDatabase, databaseOptionsFromConfig } = await load<typeof import('../src/db/database.js')>('src/db/database.ts');
const { migrate } = await load<typeof import('../src/db/migrate.js')>('src/db/migrate.ts');

const url = process.env.BENCH_DB_URL;
if (!url) throw new Error('BENCH_DB_URL is required');
const config = loadConfig({
  ...process.env,
  DATABASE_URL: url,
  JWT_SECRET: 'bench-secret-of-at-least-32-characters!',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? process.env.LOG_LEVEL,
  SCORING_WORKER: process.env.BENCH_SCORING ?? 'true',
});
const options = databaseOptionsFromConfig(config);
if (options.kind === 'postgres' && process.env.BENCH_POOL) options.poolSize = Number(process.env.BENCH_POOL);
const database = await createDatabase(options);
await migrate(database); // a no-op when the bench migrated it with the same checkout
const app = await buildApp({ config, database });
const accepted = { message: 'event ingested', metadata: { event_id: '00000000-0000-0000-0000-000000000000', lead_id: 'x', lead_created: false } };
app.post('/bench/noop-auth', { config: { access: access.ou('Operator') } }, async (_request, reply) => reply.code(202).send(accepted));
app.post('/bench/noop', { config: { access: access.public } }, async (_request, reply) => reply.code(202).send(accepted));
app.get('/bench/select1-auth', { config: { access: access.ou('Viewer') } }, async () => {
  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
  return rows;
});
await app.ready();

/** The scoring a user sets up: weights for the bench's event types and a burst filter on page views. */
async function configureScoring(app: FastifyInstance, authorization: string): Promise<void> {
  const rules = { page_view: 1, email_open: 2, pricing_view: 3, form_submit: 5 };
  const requests = [
    ...Object.entries(rules).map(([event_type, weight]) => ({ url: '/rules', payload: { event_type, weight } as object })),
    { url: '/filters', payload: { event_type: 'page_view', count_threshold: 20, time_window_ms: 1000 } },
  ];
  for (const { url, payload } of requests) {
    const res = await app.inject({ method: 'POST', url, headers: { authorization }, payload });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  }
}

const signup = await app.inject({
  method: 'POST',
  url: '/auth/signup',
  payload: { organization_name: 'Bench', first_name: 'B', last_name: 'Ench', email: `bench-${Date.now()}@example.com`, password: 'bench password 1' },
});
const { token, organization, unit } = signup.json() as { token: string; organization: { org_id: string }; unit: { unit_id: string } };
if (process.env.BENCH_RULES !== '0') await configureScoring(app, `Bearer ${token}`);
const secret = await app.inject({ method: 'POST', url: '/secrets', headers: { authorization: `Bearer ${token}` }, payload: { name: 'bench' } });
const { client_id: clientId, client_secret: clientSecret } = secret.json() as { client_id: string; client_secret: string };

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;

const stop = async () => {
  await app.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

// CPU profile of a window the parent chooses (the measured load, not start-up and seeding).
const profileDir = process.env.BENCH_CPU_PROF;
const inspector = profileDir ? new Session() : null;
process.on('message', (message: { cmd: string }) => {
  void (async () => {
    if (message.cmd === 'profile-start' && inspector) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
      process.send?.({ ok: true });
    } else if (message.cmd === 'profile-stop' && inspector && profileDir) {
      const { profile } = await inspector.post('Profiler.stop');
      const file = join(profileDir, `server-${process.pid}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      inspector.disconnect();
      process.send?.({ file });
    } else {
      process.send?.({ ok: false });
    }
  })();
});
process.send?.({ port, authorization, orgId: organization.org_id, unitId: unit.unit_id });

if (process.env.BENCH_MEM_LOG) {
  setInterval(() => {
    const u = process.memoryUsage();
    const mb = (v: number) => (v / 1048576).toFixed(0);
    process.stderr.write(`mem rss ${mb(u.rss)} heapUsed ${mb(u.heapUsed)} heapTotal ${mb(u.heapTotal)} external ${mb(u.external)}\n`);
  }, 2000).unref();
}
