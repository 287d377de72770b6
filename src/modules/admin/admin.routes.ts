import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import type { AuditLog } from '../../http/audit.js';
import { limitParam, offsetParam } from '../../http/pagination.js';
import { errorResponses } from '../../http/responses.js';
import { createAdminRepository } from './admin.repository.js';
import { ACCOUNTS_BACKFILL_JOB, EVENT_ACCOUNTS_BACKFILL_JOB, PROFILE_APPLY_JOB } from '../accounts/backfill.jobs.js';
import { jobViewSchema, type BackfillsService } from '../accounts/backfills.service.js';
import { tenantOf } from '../../auth/tenant.js';

const BACKFILLS = [
  { path: '/admin/backfill/accounts', kind: ACCOUNTS_BACKFILL_JOB, operationId: 'backfillAccounts', who: access.ouMember('Owner'),
    summary: 'Backfill account mapping and profile scoring: link leads to accounts by email or company_domain, creating accounts, then replay the mappings' },
  { path: '/admin/backfill/event-accounts', kind: EVENT_ACCOUNTS_BACKFILL_JOB, operationId: 'backfillEventAccounts', who: access.ouMember('Owner'),
    summary: 'Backfill event metadata accountId from each event’s lead’s account' },
  { path: '/admin/profile-mappings/apply', kind: PROFILE_APPLY_JOB, operationId: 'applyProfileMappings', who: access.ou('Owner'),
    summary: 'Apply profile field mappings to existing leads, replaying them from each lead’s events' },
] as const;

/** The durable OU-wide jobs (src/modules/accounts/backfill.jobs.ts): 202 with the job and its counters so far. */
async function backfillRoutes(app: FastifyInstance, backfills: BackfillsService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const b of BACKFILLS) {
    r.post(b.path, {
      config: { access: b.who },
      schema: {
        tags: ['Admin'],
        operationId: b.operationId,
        summary: b.summary,
        description: 'A durable job over the OU’s leads in steps of 200, each committed on its own; one open job per kind and OU ' +
          '(a repeat answers it). Poll status_url (GET /admin/jobs/{jobId}) for progress; the counters are final once completed.',
        response: { 202: jobViewSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => {
        const job = await backfills.start(tenantOf(request.auth), b.kind);
        return reply.code(202).header('location', job.status_url).send(job);
      },
    });
  }
  r.get('/admin/jobs/:jobId', {
    config: { access: access.ou('Owner') },
    schema: {
      tags: ['Admin'],
      operationId: 'getAdminJob',
      summary: 'Status and counters of a backfill or mapping job of the active OU (added)',
      params: z.object({ jobId: z.uuid() }),
      response: { 200: jobViewSchema, ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request) => backfills.status(tenantOf(request.auth), request.params.jobId),
  });
}

const auditQuery = z.object({
  limit: limitParam(100),
  offset: offsetParam,
  search: z.string().trim().min(1).max(200).optional(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  status_min: z.coerce.number().int().min(100).max(599).optional(),
  status_max: z.coerce.number().int().min(100).max(599).optional(),
  user_email: z.string().trim().min(1).max(254).optional(),
  sort_by: z.enum(['created_at', 'user_email', 'method', 'path', 'status', 'ip', 'latency_ms']).default('created_at'),
  sort_order: z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['ASC', 'DESC']))
    .default('DESC'),
});

const auditEntrySchema = z
  .object({
    id: z.number().int(),
    created_at: z.string(),
    unit_id: z.string().nullable(),
    org_member_id: z.string().nullable(),
    user_email: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    latency_ms: z.number().int(),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
  })
  .meta({ id: 'AuditLogEntry' });

const auditListSchema = z.object({ items: z.array(auditEntrySchema), limit: z.number().int(), offset: z.number().int() });

export async function adminRoutes(app: FastifyInstance, deps: { db: Db; audit: AuditLog; backfills: BackfillsService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const repo = createAdminRepository(deps.db);

  r.get('/admin/audit-logs', {
    config: { access: access.ouMember('Owner') },
    schema: {
      tags: ['Admin'],
      operationId: 'listAuditLogs',
      summary: 'Audit log of the active OU (org admins also see organization-level entries)',
      querystring: auditQuery,
      response: { 200: auditListSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => {
      const q = request.query;
      await deps.audit.flush();
      const rows = await repo.listAuditLogs({
        orgId: request.auth.orgId,
        unitId: request.auth.unitId as string,
        includeOrgLevel: request.auth.orgRole === 'admin',
        limit: q.limit,
        offset: q.offset,
        search: q.search,
        method: q.method,
        statusMin: q.status_min,
        statusMax: q.status_max,
        userEmail: q.user_email,
        sortBy: q.sort_by,
        sortOrder: q.sort_order === 'ASC' ? 'asc' : 'desc',
      });
      return {
        items: rows.map((row) => ({
          id: row.id,
          created_at: row.created_at.toISOString(),
          unit_id: row.unit_id,
          org_member_id: row.member_id,
          user_email: row.user_email,
          method: row.method,
          path: row.path,
          status: row.status,
          latency_ms: row.latency_ms,
          ip: row.ip,
          request_id: row.request_id,
        })),
        limit: q.limit,
        offset: q.offset,
      };
    },
  });
  await backfillRoutes(app, deps.backfills);
}
