/**
 * The naive reference of bench:ingest: a plain Fastify server that writes each POST /events with
 * one autocommit INSERT into a simple events-like table, with the app's pg driver, pool size (10)
 * and logger settings (LOG_LEVEL info, request logging on, to the same kind of file). It resolves
 * no identity and scores nothing: what one write per request costs on this machine.
 * Sends {port} over IPC once listening. Knobs: BENCH_POOL, BENCH_LOG_LEVEL.
 */
import Fastify from 'fastify';
import pg from 'pg';

const url = process.env.BENCH_DB_URL;
if (!url) throw new Error('BENCH_DB_URL is required');
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BENCH_POOL ?? 10) });
await pool.query(`
  create table if not exists naive_events (
    id uuid primary key default gen_random_uuid(),
    lead_email text not null,
    event_type text not null,
    metadata jsonb not null default '{}'::jsonb,
    occurred_at timestamptz not null default now(),
    received_at timestamptz not null default now()
  )`);

interface Body {
  aliases?: Array<{ alias_kind: string; raw_value: string }>;
  event_type?: string;
  metadata?: Record<string, unknown>;
}

const app = Fastify({ logger: { level: process.env.BENCH_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info' } });
app.post<{ Body: Body }>('/events', async (request, reply) => {
  const { aliases, event_type: eventType, metadata } = request.body ?? {};
  const email = aliases?.[0]?.raw_value;
  if (!email || !eventType) return reply.code(400).send({ error: 'validation_failed', message: 'aliases and event_type are required' });
  const { rows } = await pool.query<{ id: string }>(
    'insert into naive_events (lead_email, event_type, metadata) values ($1, $2, $3) returning id',
    [email.trim().toLowerCase(), eventType, JSON.stringify(metadata ?? {})],
  );
  return reply.code(202).send({ message: 'event ingested', metadata: { event_id: rows[0]?.id } });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
