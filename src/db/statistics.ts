import { sql } from 'kysely';
import type { Database } from './database.js';

/**
 * Tables the analytics statements plan over; their statistics decide join shapes. On PGlite a
 * table is never analyzed (no autovacuum; its pg_stat counters stay at zero, so there is no way to
 * tell which tables changed): without statistics the planner takes a few thousand events for one
 * row and nests loops over them (the sample-data test's POST /api/v1/insights: 44 s instead of
 * 0.2 s after ANALYZE; docs/session-insights.md, "Cost").
 */
const PLANNED_TABLES = ['org_units', 'accounts', 'leads', 'lead_aliases', 'events', 'event_scores', 'lead_scores', 'deals', 'deal_contacts'];

/**
 * ANALYZE on the embedded database (a no-op on PostgreSQL, whose autovacuum keeps statistics):
 * after a bulk write (the sample data) and when the server starts on a data directory. Samples at
 * most 30,000 rows per table, so its cost is bounded whatever the tables' size.
 */
export async function refreshEmbeddedStatistics(database: Pick<Database, 'kind' | 'db'>): Promise<void> {
  if (database.kind !== 'pglite') return;
  await sql`analyze ${sql.join(PLANNED_TABLES.map((table) => sql.table(table)))}`.execute(database.db);
}
