import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

export interface AuditQuery {
  orgId: string;
  unitId: string;
  includeOrgLevel: boolean;
  limit: number;
  offset: number;
  search?: string | undefined;
  method?: string | undefined;
  statusMin?: number | undefined;
  statusMax?: number | undefined;
  userEmail?: string | undefined;
  sortBy: 'created_at' | 'user_email' | 'method' | 'path' | 'status' | 'ip' | 'latency_ms';
  sortOrder: 'asc' | 'desc';
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function createAdminRepository(db: Db) {
  return {
    listAuditLogs(q: AuditQuery) {
      return db
        .selectFrom('audit_logs')
        .selectAll()
        .where('org_id', '=', q.orgId)
        .where((eb) =>
          q.includeOrgLevel ? eb.or([eb('unit_id', '=', q.unitId), eb('unit_id', 'is', null)]) : eb('unit_id', '=', q.unitId),
        )
        .$if(q.search !== undefined, (qb) => {
          const pattern = `%${escapeLike(q.search as string)}%`;
          return qb.where((eb) =>
            eb.or([eb('user_email', 'ilike', pattern), eb('path', 'ilike', pattern), eb('ip', 'ilike', pattern)]),
          );
        })
        .$if(q.method !== undefined, (qb) => qb.where('method', '=', q.method as string))
        .$if(q.statusMin !== undefined, (qb) => qb.where('status', '>=', q.statusMin as number))
        .$if(q.statusMax !== undefined, (qb) => qb.where('status', '<=', q.statusMax as number))
        .$if(q.userEmail !== undefined, (qb) => qb.where(sql`lower(user_email)`, '=', (q.userEmail as string).toLowerCase()))
        .orderBy(q.sortBy, q.sortOrder)
        .orderBy('id', q.sortOrder)
        .limit(q.limit)
        .offset(q.offset)
        .execute();
    },
  };
}
