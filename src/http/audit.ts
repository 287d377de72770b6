import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sql, type Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import { preparedStatement } from '../db/prepared-pool.js';
import type { AuditLogsTable } from '../db/types.js';

/** An audit row as recorded; `created_at` is when the request was answered, not when its buffered row reached the table. */
export type AuditEntry = Omit<Selectable<AuditLogsTable>, 'id'>;

/**
 * One prepared statement whatever the batch size (a VALUES list would be re-planned per size). A
 * row of an organization deleted since its request is dropped; one of an OU deleted since is kept
 * at organization level (migrations/0067: probes, not foreign keys, so one such row cannot fail the
 * batch).
 */
function insertAuditRows(db: Db, rows: AuditEntry[]) {
  const col = <K extends keyof AuditEntry>(key: K) => rows.map((r) => r[key]);
  return sql`${sql.raw(preparedStatement('audit_insert'))}
    insert into audit_logs (org_id, unit_id, member_id, user_email, method, path, status, latency_ms, ip, request_id, created_at)
    select x.org_id, u.id, x.member_id, x.user_email, x.method, x.path, x.status, x.latency_ms, x.ip, x.request_id, x.created_at
    from unnest(${col('org_id')}::uuid[], ${col('unit_id')}::uuid[], ${col('member_id')}::uuid[],
                ${col('user_email')}::text[], ${col('method')}::text[], ${col('path')}::text[],
                ${col('status')}::int[], ${col('latency_ms')}::int[], ${col('ip')}::text[],
                ${col('request_id')}::text[], ${col('created_at')}::timestamptz[])
      as x(org_id, unit_id, member_id, user_email, method, path, status, latency_ms, ip, request_id, created_at)
    left join org_units u on u.id = x.unit_id and u.org_id = x.org_id
    where exists (select 1 from organizations o where o.id = x.org_id)`.execute(db);
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FLUSH_MS = 200;
const FLUSH_SIZE = 500;

/**
 * Audit rows are buffered and written in batches so that auditing a busy ingestion endpoint costs
 * one insert per batch, not one per request. Readers flush first, so they always see their writes.
 */
export function createAuditLog(db: Db, onError: (err: unknown) => void) {
  let buffer: AuditEntry[] = [];
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();

  function flush(): Promise<void> {
    if (buffer.length === 0) return pending;
    const rows = buffer;
    buffer = [];
    pending = pending.then(async () => {
      try {
        await insertAuditRows(db, rows);
      } catch (err) {
        onError(err);
      }
    });
    return pending;
  }

  return {
    record(entry: AuditEntry): void {
      buffer.push(entry);
      if (buffer.length >= FLUSH_SIZE) void flush();
    },
    flush,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who to record a request under when it has no auth context (signup, login). */
    auditActor: { orgId: string; memberId: string; email: string } | null;
  }
}

/** Records every mutating request of a known organization; never bodies, so no secret is logged. */
export const auditPlugin = fp(
  async (app: FastifyInstance, opts: { audit: AuditLog }) => {
    app.decorateRequest('auditActor', null);
    app.addHook('onResponse', async (request, reply) => {
      if (!MUTATING.has(request.method)) return;
      const auth = request.auth;
      const actor = request.auditActor;
      const orgId = auth?.orgId ?? actor?.orgId;
      if (!orgId) return;
      opts.audit.record({
        org_id: orgId,
        unit_id: auth?.unitId ?? null,
        member_id: auth?.memberId ?? actor?.memberId ?? null,
        user_email: auth?.email ?? actor?.email ?? null,
        method: request.method,
        path: request.url.split('?')[0] ?? request.url,
        status: reply.statusCode,
        latency_ms: Math.round(reply.elapsedTime),
        ip: request.ip,
        request_id: String(request.id),
        created_at: new Date(),
      });
    });
    app.addHook('onClose', async () => opts.audit.close());
  },
  { name: 'audit' },
);
