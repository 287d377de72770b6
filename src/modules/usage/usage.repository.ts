import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

export function monthWindow(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/**
 * Usage counts in one round trip. Later modules (events, leads) add their counters here as their
 * tables appear, so /usage grows with the product.
 */
export function createUsageRepository(db: Db) {
  return {
    async usage(orgId: string, unitId: string, window: { start: Date; end: Date }) {
      const { rows } = await sql<{
        org_members: number;
        org_units: number;
        org_api_credentials: number;
        org_api_writes: number;
        unit_members: number;
        unit_api_credentials: number;
        unit_api_writes: number;
      }>`
        select
          (select count(*) from members where org_id = ${orgId})::int as org_members,
          (select count(*) from org_units where org_id = ${orgId})::int as org_units,
          (select count(*) from api_credentials where org_id = ${orgId})::int as org_api_credentials,
          (select count(*) from audit_logs where org_id = ${orgId}
             and created_at >= ${window.start} and created_at < ${window.end})::int as org_api_writes,
          (select count(*) from ou_memberships where unit_id = ${unitId})::int as unit_members,
          (select count(*) from api_credentials where unit_id = ${unitId})::int as unit_api_credentials,
          (select count(*) from audit_logs where org_id = ${orgId} and unit_id = ${unitId}
             and created_at >= ${window.start} and created_at < ${window.end})::int as unit_api_writes
      `.execute(db);
      const row = rows[0];
      if (!row) throw new Error('usage query returned no row');
      return {
        organization: {
          members: row.org_members,
          org_units: row.org_units,
          api_credentials: row.org_api_credentials,
          api_write_requests: row.org_api_writes,
        },
        unit: {
          members: row.unit_members,
          api_credentials: row.unit_api_credentials,
          api_write_requests: row.unit_api_writes,
        },
      };
    },
  };
}
