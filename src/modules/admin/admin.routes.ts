import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import type { AuditLog } from '../../http/audit.js';
import { limitParam, offsetParam } from '../../http/pagination.js';
import { errorResponses } from '../../http/responses.js';
import { createAuditLogsService } from './audit-logs.service.js';
import type { SampleDataService } from './sample-data/sample-data.service.js';
import { tenantOf } from '../../auth/tenant.js';

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

const seedResultSchema = z.object({ message: z.string(), output: z.string() }).meta({ id: 'SeedResult' });
const wipeResultSchema = z
  .object({ leads_deleted: z.number().int(), events_deleted: z.number().int(), rules_deleted: z.number().int() })
  .meta({ id: 'WipeSeedResult' });

export async function adminRoutes(app: FastifyInstance, deps: { db: Db; audit: AuditLog; sampleData: SampleDataService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const auditLogs = createAuditLogsService(deps.db, deps.audit);

  r.get('/admin/audit-logs', {
    config: { access: access.ouMember('Owner') },
    schema: {
      tags: ['Admin'],
      operationId: 'listAuditLogs',
      summary: 'Audit log of the active OU (org admins also see organization-level entries)',
      querystring: auditQuery,
      response: { 200: auditListSchema, ...errorResponses(400, 401, 403) },
    },
    handler: (request) => auditLogs.list(request.auth, request.query),
  });

  r.post('/admin/seed', {
    config: { access: access.ouMember('Owner') },
    schema: {
      tags: ['Admin'],
      operationId: 'seedSampleData',
      summary: 'Seed sample data into the active OU',
      description:
        'Creates a realistic sample tagged `source=seed` (docs/sample-data.md): 20 accounts, 200 leads and about ' +
        '5,000 events over the last 90 days (web sessions with UTM campaigns and referrers, email, webinars, ' +
        'conversions) plus the scoring rules it needs. The events are scored by the worker in the background. ' +
        '409 when the OU holds sample data already.',
      response: { 200: seedResultSchema, ...errorResponses(401, 403, 409) },
    },
    handler: (request) => deps.sampleData.seed(tenantOf(request.auth)),
  });

  r.post('/admin/wipe-seed', {
    config: { access: access.ouMember('Owner') },
    schema: {
      tags: ['Admin'],
      operationId: 'wipeSampleData',
      summary: 'Wipe sample data from the active OU',
      description: 'Deletes what POST /admin/seed created (tagged `source=seed`) in the active OU and answers the counts per delete.',
      response: { 200: wipeResultSchema, ...errorResponses(401, 403) },
    },
    handler: (request) => deps.sampleData.wipe(tenantOf(request.auth)),
  });
}
