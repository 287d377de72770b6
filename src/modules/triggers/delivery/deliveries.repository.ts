import { sql, type Selectable } from 'kysely';
import type { Tenant } from '../../../auth/tenant.js';
import type { Db } from '../../../db/database.js';
import { preparedStatement } from '../../../db/prepared-pool.js';
import type { DeliveriesTable, DeliveryKind, DeliveryStatus } from '../../../db/types.js';
import { DELIVERIES_CHANNEL } from '../trigger-firing.repository.js';

export type DeliveryRecord = Selectable<DeliveriesTable>;

export interface ClaimCursor {
  org_id: string;
  unit_id: string;
}

/** How one attempt ended, as the sender records it. */
export interface AttemptRecord {
  status: 'succeeded' | 'failed' | 'skipped';
  httpStatus: number | null;
  error: string | null;
  latencyMs: number;
  startedAt: Date;
  /** The delivery's status after this attempt, and when a retry is due (pending only). */
  next: DeliveryStatus;
  retryInMs: number;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  kind?: DeliveryKind;
  trigger_id?: string;
  lead_id?: string;
}

const ZERO = '00000000-0000-0000-0000-000000000000';

/** The outbox's SQL (migrations/0031): fair claims under a lease, attempt records, reads, replay. */
export function createDeliveriesRepository(db: Db) {
  return {
    /**
     * Claims up to `limit` due deliveries, fairly: the OUs with open deliveries are walked in
     * (org, unit) order from `cursor` on, wrapping round (a skip scan: one index probe per OU, at
     * most `maxUnits`), and rows are taken in rounds: every OU's first due row, then every OU's
     * second, ... so a flood in one OU never starves another. Rows are locked FOR UPDATE SKIP
     * LOCKED and leased to `token` until now + lease: a crashed sender's rows come back when it expires.
     */
    async claim(o: { limit: number; maxUnits: number; leaseSeconds: number; token: string; cursor: ClaimCursor | null }): Promise<DeliveryRecord[]> {
      const co = o.cursor?.org_id ?? ZERO;
      const cu = o.cursor?.unit_id ?? ZERO;
      const { rows } = await sql<DeliveryRecord>`${sql.raw(preparedStatement('delivery_claim'))}
        with recursive after_cursor (org_id, unit_id) as (
          (select org_id, unit_id from deliveries where status in ('pending', 'sending') and (org_id, unit_id) > (${co}::uuid, ${cu}::uuid)
            order by org_id, unit_id limit 1)
          union all
          select n.org_id, n.unit_id from after_cursor a cross join lateral (
            select d.org_id, d.unit_id from deliveries d where d.status in ('pending', 'sending') and (d.org_id, d.unit_id) > (a.org_id, a.unit_id)
            order by d.org_id, d.unit_id limit 1) n
        ),
        from_start (org_id, unit_id) as (
          (select org_id, unit_id from deliveries where status in ('pending', 'sending') order by org_id, unit_id limit 1)
          union all
          select n.org_id, n.unit_id from from_start a cross join lateral (
            select d.org_id, d.unit_id from deliveries d where d.status in ('pending', 'sending') and (d.org_id, d.unit_id) > (a.org_id, a.unit_id)
              and (d.org_id, d.unit_id) <= (${co}::uuid, ${cu}::uuid)
            order by d.org_id, d.unit_id limit 1) n
        ),
        units as materialized (
          select org_id, unit_id, row_number() over (order by part, org_id, unit_id) as ord from (
            (select 0 as part, org_id, unit_id from after_cursor limit ${o.maxUnits})
            union all
            (select 1, org_id, unit_id from from_start where (org_id, unit_id) <= (${co}::uuid, ${cu}::uuid) limit ${o.maxUnits})
          ) u order by part, org_id, unit_id limit ${o.maxUnits}
        ),
        -- Round robin: each OU's first due row, then each OU's second, ... up to the limit.
        candidates as (
          select c.row_id, c.org_id, c.id, row_number() over (partition by u.ord order by c.due_at) as rn, u.ord
          from units u cross join lateral (
            select d.ctid as row_id, d.org_id, d.id, d.due_at from deliveries d
            where d.org_id = u.org_id and d.unit_id = u.unit_id and d.status in ('pending', 'sending') and d.due_at <= now()
            order by d.due_at limit ${o.limit}
          ) c
        ),
        chosen as (select row_id, org_id, id from candidates order by rn, ord limit ${o.limit}),
        -- Each chosen row locked by its row id (a TID scan; the lock rechecks a row updated meanwhile).
        -- A semi-join by key was planned from the table's statistics: with those of an empty outbox,
        -- each row was found by walking the org's due rows (bench/README.md, issue 12 session 6).
        picked as (
          select d.row_id, d.org_id, d.id from chosen c cross join lateral (
            select d.ctid as row_id, d.org_id, d.id from deliveries d
            where d.ctid = c.row_id and d.org_id = c.org_id and d.id = c.id and d.status in ('pending', 'sending') and d.due_at <= now()
            for update skip locked
          ) d
        )
        update deliveries d set status = 'sending', lease_token = ${o.token}::uuid, due_at = now() + ${o.leaseSeconds} * interval '1 second',
          attempts = d.attempts + 1, total_attempts = d.total_attempts + 1, updated_at = now()
        from picked p where d.ctid = p.row_id and d.org_id = p.org_id and d.id = p.id
        returning d.*`.execute(db);
      return rows;
    },

    /**
     * Records an attempt and moves the delivery on, only while this claim still holds its lease
     * (`token`): a sender that lost its lease records nothing. Answers whether it recorded.
     */
    async complete(d: DeliveryRecord, token: string, a: AttemptRecord): Promise<boolean> {
      const { rows } = await sql<{ n: number }>`${sql.raw(preparedStatement('delivery_complete'))}
        with moved as (
          update deliveries set status = ${a.next}, lease_token = null, last_error = ${a.error}, last_http_status = ${a.httpStatus},
            due_at = now() + ${a.retryInMs} * interval '1 millisecond', updated_at = now(),
            completed_at = case when ${a.next} in ('succeeded', 'failed', 'skipped') then now() else null end
          where org_id = ${d.org_id} and id = ${d.id} and status = 'sending' and lease_token = ${token}::uuid
          returning org_id, unit_id, id, total_attempts
        ),
        recorded as (
          insert into delivery_attempts (org_id, delivery_id, attempt_no, unit_id, status, http_status, latency_ms, error, started_at)
          select org_id, id, total_attempts, unit_id, ${a.status}, ${a.httpStatus}, ${a.latencyMs}, ${a.error}, ${a.startedAt}
          from moved
          on conflict do nothing
          returning 1
        )
        select count(*)::int as n from recorded`.execute(db);
      return (rows[0]?.n ?? 0) > 0;
    },

    /** Open deliveries (pending or in flight) and the earliest due time among them. */
    async openSummary(): Promise<{ open: number; nextDueInMs: number | null }> {
      const { rows } = await sql<{ open: number; next_ms: number | null }>`
        select count(*)::int as open, (extract(epoch from (min(due_at) - now())) * 1000)::float8 as next_ms
        from deliveries where status in ('pending', 'sending')`.execute(db);
      return { open: rows[0]?.open ?? 0, nextDueInMs: rows[0]?.next_ms ?? null };
    },

    list: (t: Tenant, f: DeliveryFilter, limit: number, offset: number) =>
      db
        .selectFrom('deliveries')
        .selectAll()
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .$if(f.status !== undefined, (q) => q.where('status', '=', f.status as DeliveryStatus))
        .$if(f.kind !== undefined, (q) => q.where('kind', '=', f.kind as DeliveryKind))
        .$if(f.trigger_id !== undefined, (q) => q.where('trigger_id', '=', f.trigger_id as string))
        .$if(f.lead_id !== undefined, (q) => q.where('lead_id', '=', f.lead_id as string))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),

    attemptsOf: (orgId: string, ids: string[]) =>
      ids.length === 0
        ? Promise.resolve([])
        : db.selectFrom('delivery_attempts').selectAll().where('org_id', '=', orgId).where('delivery_id', 'in', ids).orderBy('delivery_id').orderBy('attempt_no').execute(),

    /** Makes a delivery pending again with a fresh attempt budget; a delivery in flight is left alone (undefined). */
    replay: (t: Tenant, id: string) =>
      db
        .updateTable('deliveries')
        .set({ status: 'pending', attempts: 0, due_at: sql`now()`, completed_at: null, lease_token: null, updated_at: sql`now()` })
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('id', '=', id)
        .where('status', '<>', 'sending')
        .returningAll()
        .executeTakeFirst(),
    find: (t: Tenant, id: string) => db.selectFrom('deliveries').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst(),
    notify: () => sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`.execute(db),

  };
}

export type DeliveriesRepository = ReturnType<typeof createDeliveriesRepository>;
