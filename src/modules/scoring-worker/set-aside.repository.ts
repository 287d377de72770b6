import { sql } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';

export interface SetAsideRow {
  event_id: string;
  lead_id: string;
  event_type: string;
  occurred_at: Date;
  received_at: Date;
  set_aside_at: Date;
  error: string;
  attempts: number;
}

/** Reads of scoring_set_aside (migrations/0014), one OU at a time. */
export function createSetAsideRepository(db: Db) {
  return {
    async list(tenant: Tenant, page: number, limit: number): Promise<{ rows: SetAsideRow[]; total: number }> {
      const { orgId, unitId } = tenant;
      const [{ rows }, { rows: count }] = await Promise.all([
        sql<SetAsideRow>`
          select s.event_id::text as event_id, s.lead_id, e.event_type, e.occurred_at, e.received_at, s.set_aside_at, s.error,
                 s.attempts::int as attempts
          from scoring_set_aside s join events e on e.org_id = s.org_id and e.id = s.event_id
          where s.org_id = ${orgId} and s.unit_id = ${unitId}
          order by s.set_aside_at desc, s.event_id
          limit ${limit} offset ${(page - 1) * limit}`.execute(db),
        sql<{ n: number }>`select count(*)::int as n from scoring_set_aside where org_id = ${orgId} and unit_id = ${unitId}`.execute(db),
      ]);
      return { rows, total: count[0]?.n ?? 0 };
    },
  };
}
