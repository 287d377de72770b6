import type pg from 'pg';

export interface RelationStats {
  name: string;
  kind: 'table' | 'index';
  table: string;
  bytes: number;
  inserts: number;
  updates: number;
  hotUpdates: number;
  deletes: number;
}

/**
 * Sizes of the public tables and indexes (TOAST included in its table) and the tables' row
 * counters. Statistics reach the shared counters when a backend goes idle, about once a second:
 * call this after the load has stopped for a moment.
 */
export async function relationStats(client: pg.Client): Promise<Map<string, RelationStats>> {
  await client.query('/* bench */ select pg_stat_clear_snapshot()');
  const { rows } = await client.query<RelationStats>(
    `/* bench */ select c.relname as name, case c.relkind when 'i' then 'index' else 'table' end as kind,
            coalesce(t.relname, c.relname) as table,
            (case when c.relkind = 'i' then pg_relation_size(c.oid) else pg_table_size(c.oid) end)::float8 as bytes,
            coalesce(s.n_tup_ins, 0)::float8 as inserts, coalesce(s.n_tup_upd, 0)::float8 as updates,
            coalesce(s.n_tup_hot_upd, 0)::float8 as "hotUpdates", coalesce(s.n_tup_del, 0)::float8 as deletes
     from pg_class c
     join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
     left join pg_index i on i.indexrelid = c.oid
     left join pg_class t on t.oid = i.indrelid
     left join pg_stat_user_tables s on s.relid = c.oid
     where c.relkind in ('r', 'i')`,
  );
  return new Map(rows.map((r) => [r.name, r]));
}

/** Row counts of the tables a request writes, to count audit rows and score rows per event. */
export async function rowCounts(client: pg.Client): Promise<Record<string, number>> {
  const { rows } = await client.query<Record<string, number>>(
    `/* bench */ select (select count(*) from events)::float8 as events, (select count(*) from leads)::float8 as leads,
            (select count(*) from lead_aliases)::float8 as lead_aliases, (select count(*) from audit_logs)::float8 as audit_logs,
            (select count(*) from event_scores)::float8 as event_scores, (select count(*) from lead_scores)::float8 as lead_scores,
            (select count(*) from lead_scoring_state)::float8 as lead_scoring_state`,
  );
  return rows[0] ?? {};
}

export async function currentLsn(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>('/* bench */ select pg_current_wal_lsn()::text as lsn');
  return rows[0]?.lsn ?? '0/0';
}

export async function lsnDiff(client: pg.Client, a: string, b: string): Promise<number> {
  const { rows } = await client.query<{ d: number }>('/* bench */ select pg_wal_lsn_diff($1, $2)::float8 as d', [b, a]);
  return rows[0]?.d ?? 0;
}
