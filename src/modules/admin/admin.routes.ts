import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import type { AuditLog } from '../../http/audit.js';
import { limitParam, offsetParam } from '../../http/pagination.js';
import { errorResponses } from '../../http/responses.js';
import { createAdminRepository } from './admin.repository.js';

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

export async function adminRoutes(app: FastifyInstance, deps: { db: Db; audit: AuditLog }) {
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
}
