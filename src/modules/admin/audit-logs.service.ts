import type { AuthContext } from '../../auth/access.js';
import type { Db } from '../../db/database.js';
import type { AuditLog } from '../../http/audit.js';
import { createAdminRepository, type AuditQuery as RepoQuery } from './admin.repository.js';

export interface AuditLogsQuery {
  limit: number;
  offset: number;
  search?: string | undefined;
  method?: string | undefined;
  status_min?: number | undefined;
  status_max?: number | undefined;
  user_email?: string | undefined;
  sort_by: RepoQuery['sortBy'];
  sort_order: 'ASC' | 'DESC';
}

/** GET /admin/audit-logs: the active OU's entries (org admins also see organization-level ones). */
export function createAuditLogsService(db: Db, audit: AuditLog) {
  const repo = createAdminRepository(db);
  return {
    async list(auth: AuthContext, q: AuditLogsQuery) {
      // Rows are written in batches after the response: flush, so a caller reads its own requests.
      await audit.flush();
      const rows = await repo.listAuditLogs({
        orgId: auth.orgId,
        unitId: auth.unitId as string,
        includeOrgLevel: auth.orgRole === 'admin',
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
      const items = rows.map((row) => ({
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
      }));
      return { items, limit: q.limit, offset: q.offset };
    },
  };
}
