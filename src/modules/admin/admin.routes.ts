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
import { ACCOUNTS_BACKFILL_JOB, EVENT_ACCOUNTS_BACKFILL_JOB, PROFILE_APPLY_JOB } from '../accounts/backfill.jobs.js';
import { jobViewSchema, type BackfillsService } from '../accounts/backfills.service.js';

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

const seedResultSchema = z.object({ message: z.string(), output: z.string() }).meta({ id: 'SeedResult' });
const wipeResultSchema = z
  .object({
    leads_deleted: z.number().int(),
    events_deleted: z.number().int(),
    rules_deleted: z.number().int(),
    deals_deleted: z.number().int(),
    accounts_deleted: z.number().int(),
  })
  .meta({ id: 'WipeSeedResult' });

export async function adminRoutes(app: FastifyInstance, deps: { db: Db; audit: AuditLog; sampleData: SampleDataService; backfills: BackfillsService }) {
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
        'conversions), the scoring rules it needs, and 14 deals moved through their stages once the worker has ' +
        'scored the events (so each milestone records real scores). 409 when the OU holds sample data already.',
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
  await backfillRoutes(app, deps.backfills);
}
