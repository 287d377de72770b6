/**
 * The server process of the benchmarks: the real app (buildApp) on the bench database, plus
 * two routes that answer 202 without touching the database, registered only here:
 *   POST /bench/noop-auth  same auth as POST /events (Basic, Operator in the active OU)
 *   POST /bench/noop       no auth at all: Fastify answering a JSON POST
 * Prints one JSON line {port, authorization, orgId, unitId} once listening.
 */
import { access } from '../src/auth/access.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/database.js';

const url = process.env.BENCH_DB_URL;
if (!url) throw new Error('BENCH_DB_URL is required');
const database = await createDatabase({ kind: 'postgres', url, poolSize: Number(process.env.BENCH_POOL ?? 10) });
const app = await buildApp({
  config: loadConfig({
    LOG_LEVEL: 'warn',
    JWT_SECRET: 'bench-secret-of-at-least-32-characters!',
    SCORING_WORKER: process.env.BENCH_SCORING ?? 'false',
    INGEST_GROUP_WAIT_MS: process.env.INGEST_GROUP_WAIT_MS,
    INGEST_GROUP_CONCURRENCY: process.env.INGEST_GROUP_CONCURRENCY,
    IMPORT_MAX_BYTES: process.env.IMPORT_MAX_BYTES,
  }),
  database,
});
const accepted = { message: 'event ingested', metadata: { event_id: '00000000-0000-0000-0000-000000000000', lead_id: 'x', lead_created: false } };
app.post('/bench/noop-auth', { config: { access: access.ou('Operator') } }, async (_request, reply) => reply.code(202).send(accepted));
app.post('/bench/noop', { config: { access: access.public } }, async (_request, reply) => reply.code(202).send(accepted));
await app.ready();

const signup = await app.inject({
  method: 'POST',
  url: '/auth/signup',
  payload: { organization_name: 'Bench', first_name: 'B', last_name: 'Ench', email: `bench-${Date.now()}@example.com`, password: 'bench password 1' },
});
const { token, organization, unit } = signup.json() as { token: string; organization: { org_id: string }; unit: { unit_id: string } };
const secret = await app.inject({ method: 'POST', url: '/secrets', headers: { authorization: `Bearer ${token}` }, payload: { name: 'bench' } });
const { client_id: clientId, client_secret: clientSecret } = secret.json() as { client_id: string; client_secret: string };

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
process.stdout.write(`${JSON.stringify({ port, authorization, orgId: organization.org_id, unitId: unit.unit_id })}\n`);

const stop = async () => {
  await app.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

if (process.env.BENCH_MEM_LOG) {
  setInterval(() => {
    const u = process.memoryUsage();
    const mb = (v: number) => (v / 1048576).toFixed(0);
    process.stderr.write(`mem rss ${mb(u.rss)} heapUsed ${mb(u.heapUsed)} heapTotal ${mb(u.heapTotal)} external ${mb(u.external)}\n`);
  }, 2000).unref();
}
