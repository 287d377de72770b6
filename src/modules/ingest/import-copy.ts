import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { PreparedEvent } from './ingest.prepare.js';
import { MESSAGE_ID_WINDOW, WRITE_RACE } from './ingest.repository.js';
import { INGESTED_CHANNEL } from '../scoring-worker/scoring-queue.js';

/** What the CSV import needs to know of each row it handed over. */
export type RowOutcome = { ok: true; duplicate: boolean } | { ok: false; error: AppError };

/**
 * The alias kinds in the order a CSV row lists them (csv-import.ts reads the columns in this order),
 * which is the order semantics §2 tries them in. Staging columns a1…a5 hold them in this order.
 */
export const IMPORT_ALIAS_KINDS = ['external_id', 'email', 'phone', 'cookie', 'social'] as const;

/** A chunk that lost an alias or message-id race to a concurrent writer is resolved again. */
const MAX_RACE_RETRIES = 3;

/**
 * The staging tables, one pair per connection (temporary, not WAL-logged; emptied at every commit
 * or rollback). lv_import_rows: one row per CSV row of the chunk, then its resolution (state null:
 * to store; 'stored' / 'repeat': a duplicate message id; 'missing': lead_id not in the OU).
 * lv_import_keys: the chunk's distinct aliases, the row that first names each, and their owner.
 */
const STAGING = `
  create temp table if not exists lv_import_rows (
    n int not null, lead_in text, message_id text, event_type text not null, mchan text, metadata text not null,
    occurred_at timestamptz not null, a1 text, a2 text, a3 text, a4 text, a5 text,
    state text, ref int, lead text, next text, created boolean not null default false,
    event_id uuid not null default gen_random_uuid(), raw_id uuid not null default gen_random_uuid()
  ) on commit delete rows;
  create temp table if not exists lv_import_keys (
    kind text not null, value text not null, first_n int not null, owner text, next text
  ) on commit delete rows`;

/** Connections whose staging tables exist (temporary tables live as long as their connection). */
const staged = new WeakSet<pg.PoolClient>();

const COPY = 'copy lv_import_rows (n, lead_in, message_id, event_type, mchan, metadata, occurred_at, a1, a2, a3, a4, a5) from stdin';

/** COPY text format: backslash escapes for the characters it gives a meaning to, \N for null. */
function field(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string) : value;
}

function copyText(items: PreparedEvent[]): string {
  const lines: string[] = [];
  items.forEach((item, n) => {
    const aliases: Array<string | null> = [null, null, null, null, null];
    for (const a of item.aliases) aliases[IMPORT_ALIAS_KINDS.indexOf(a.kind as (typeof IMPORT_ALIAS_KINDS)[number])] = a.value;
    const cells = [String(n), item.leadId, item.messageId, item.eventType, item.metadataChannel, item.metadataJson, item.occurredAt.toISOString(), ...aliases];
    lines.push(cells.map(field).join('\t'));
  });
  return `${lines.join('\n')}\n`;
}

/** Rows whose message id is already stored, and rows repeating an earlier row's message id. */
async function markDuplicates(c: pg.PoolClient, orgId: string, unitId: string): Promise<void> {
  await c.query(
    `update lv_import_rows r set state = 'stored'
     from (select distinct message_id from lv_import_rows where message_id is not null) d
     cross join lateral (
       select 1 from ingest_messages
       where org_id = $1 and unit_id = $2 and message_id = d.message_id and created_at > now() - $3::interval limit 1
     ) im
     where r.message_id = d.message_id`,
    [orgId, unitId, MESSAGE_ID_WINDOW],
  );
  await c.query(
    `update lv_import_rows r set state = 'repeat', ref = f.first
     from (select message_id, min(n) as first from lv_import_rows where message_id is not null and state is null group by message_id) f
     where r.message_id = f.message_id and r.n > f.first and r.state is null`,
  );
}

/** One leads probe per row of `source` (an index probe whatever the planner statistics say). */
const LEAD_PROBE = (column: string) =>
  `cross join lateral (select id, merged_into from leads where org_id = $1 and unit_id = $2 and id = ${column} limit 1) l`;

/**
 * Follows merged_into from the leads in `table` (columns lead/owner and next) to their survivors,
 * one hop per statement for the rows that still point at a merged lead; merges never build long
 * chains, the bound only stops a cycle. A chain that breaks leaves `next` set.
 */
async function followMerges(c: pg.PoolClient, orgId: string, unitId: string, table: string, key: string, target: string): Promise<void> {
  for (let depth = 0; depth < 16; depth++) {
    const moved = await c.query(
      `update ${table} t set ${target} = l.id, next = l.merged_into
       from (select distinct next from ${table} where next is not null) d ${LEAD_PROBE('d.next')}
       where t.next = d.next and t.${key} is not null`,
      [orgId, unitId],
    );
    if (!moved.rowCount) return;
  }
}

/** Rows naming a lead_id: its surviving lead (merged_into followed), or 'missing'. */
async function resolveLeadIds(c: pg.PoolClient, orgId: string, unitId: string): Promise<void> {
  await c.query(
    `update lv_import_rows r set lead = l.id, next = l.merged_into
     from (select distinct lead_in from lv_import_rows where lead_in is not null and state is null) d ${LEAD_PROBE('d.lead_in')}
     where r.lead_in = d.lead_in and r.state is null`,
    [orgId, unitId],
  );
  await followMerges(c, orgId, unitId, 'lv_import_rows', 'lead_in', 'lead');
  await c.query(
    `update lv_import_rows set state = 'missing', lead = null
     where lead_in is not null and state is null and (lead is null or next is not null)`,
  );
}

const ALIAS_VALUES = `(values (1, 'external_id', r.a1), (2, 'email', r.a2), (3, 'phone', r.a3), (4, 'cookie', r.a4), (5, 'social', r.a5)) a(pos, kind, value)`;

/**
 * Semantics §2 in file order, set-based: a row without lead_id takes the owner of its first alias
 * that is owned (in the database, merges followed) or named by an earlier row, whose lead it then
 * shares; a row with neither gets a new lead. An alias nobody owns goes to the lead of the first
 * row naming it. Rows point at earlier rows, so following the pointers (by doubling) ends.
 */
async function resolveAliases(c: pg.PoolClient, orgId: string, unitId: string): Promise<void> {
  await c.query(
    `insert into lv_import_keys (kind, value, first_n)
     select a.kind, a.value, min(r.n) from lv_import_rows r cross join lateral ${ALIAS_VALUES}
     where a.value is not null and r.state is null
     group by a.kind, a.value`,
  );
  await c.query('analyze lv_import_keys');
  await c.query(
    `update lv_import_keys k set owner = l.id, next = l.merged_into
     from lv_import_keys k2
     cross join lateral (
       select lead_id from lead_aliases where org_id = $1 and unit_id = $2 and kind = k2.kind and value = k2.value limit 1
     ) al
     ${LEAD_PROBE('al.lead_id')}
     where k.kind = k2.kind and k.value = k2.value`,
    [orgId, unitId],
  );
  await followMerges(c, orgId, unitId, 'lv_import_keys', 'owner', 'owner');
  // An owner whose merge chain breaks is no owner (as in ingest.writer.ts).
  await c.query(`update lv_import_keys set owner = null where next is not null`);
  await c.query(
    `update lv_import_rows r set lead = m.owner, ref = m.ref
     from (
       select distinct on (r.n) r.n, k.owner, case when k.owner is null then k.first_n end as ref
       from lv_import_rows r cross join lateral ${ALIAS_VALUES}
       join lv_import_keys k on k.kind = a.kind and k.value = a.value
       where r.state is null and r.lead_in is null and a.value is not null and (k.owner is not null or k.first_n < r.n)
       order by r.n, a.pos
     ) m
     where r.n = m.n`,
  );
  await c.query(
    `update lv_import_rows set lead = gen_random_uuid()::text, created = true
     where state is null and lead_in is null and lead is null and ref is null`,
  );
  for (;;) {
    const jumped = await c.query(
      `update lv_import_rows r set lead = p.lead, ref = p.ref from lv_import_rows p
       where r.state is null and r.lead is null and r.ref is not null and p.n = r.ref`,
    );
    if (!jumped.rowCount) break;
  }
}

/**
 * Where the scoring worker finds its work. Without a scoring_queue table (before migrations/0014
 * of the worker branch), an event with scored_at null is queued; with it, the event also needs its
 * queue row, which ingest_write adds in the same statement: imports go to the bulk lane (1), as
 * the batch writer's orderedWriter puts them. Checked once per process (migrations run at start).
 */
const QUEUE_INSERT = `insert into scoring_queue (org_id, event_id, unit_id, lead_id, seq, lane)
  select org_id, id, unit_id, lead_id, seq, 1 from new_events where scored_at is null`;
let scoringQueue: Promise<boolean> | null = null;
function hasScoringQueue(c: pg.PoolClient): Promise<boolean> {
  scoringQueue ??= c.query<{ q: boolean }>(`select to_regclass('scoring_queue') is not null as q`).then((r) => r.rows[0]?.q === true);
  return scoringQueue;
}

/** channelOf() of ingest.prepare.ts, for the canonical type only the database knows. */
const CHANNEL_OF_TYPE = `coalesce(mchan, case
  when starts_with(type, 'email_') then 'email' when starts_with(type, 'slack_') then 'slack'
  when starts_with(type, 'webinar_') then 'webinar' when starts_with(type, 'crm_') or starts_with(type, 'deal_') then 'crm'
  else 'web' end)`;

/**
 * The writes of POST /events, from the staging table: new leads, their aliases (WRITE_RACE when a
 * concurrent writer created one first), the event rows as ingest.writer.ts lays them out (a raw +
 * canonical pair for a normalized type; 'observe' rows stored already scored), the message ids,
 * and the NOTIFY that wakes the scoring worker at commit, as for live events.
 */
async function writeResolved(c: pg.PoolClient, orgId: string, unitId: string, receivedAt: Date): Promise<void> {
  const t = [orgId, unitId];
  await c.query(`insert into leads (org_id, unit_id, id) select $1::uuid, $2::uuid, lead from lv_import_rows where created order by n`, t);
  await c.query(
    `with ins as (
       insert into lead_aliases (org_id, unit_id, kind, value, lead_id)
       select $1::uuid, $2::uuid, k.kind, k.value, r.lead from lv_import_keys k join lv_import_rows r on r.n = k.first_n
       where k.owner is null order by k.kind, k.value
       on conflict (org_id, unit_id, kind, value) do nothing
       returning 1
     )
     select lv_assert((select count(*) from ins) = (select count(*) from lv_import_keys where owner is null),
                      '${WRITE_RACE}', 'an alias was created concurrently')`,
    t,
  );
  await c.query(
    `with src as (
       select r.n, r.lead, r.event_type, r.mchan, r.metadata, r.occurred_at, r.event_id, r.raw_id,
              case when s.canonical_type <> r.event_type then s.canonical_type end as canon,
              coalesce(s.max_processing_scope = 'observe', false) as observe,
              coalesce(s.canonical_scope = 'observe', false) as canon_observe
       from lv_import_rows r
       left join (
         select d.event_type, s.canonical_type, s.max_processing_scope, cs.max_processing_scope as canonical_scope
         from (select distinct event_type from lv_import_rows) d
         cross join lateral (
           select canonical_type, max_processing_scope from event_type_settings
           where org_id = $1 and unit_id = $2 and event_type = d.event_type limit 1
         ) s
         left join lateral (
           select max_processing_scope from event_type_settings
           where org_id = $1 and unit_id = $2 and event_type = s.canonical_type limit 1
         ) cs on true
       ) s on s.event_type = r.event_type
       where r.state is null
     ),
     laid_out as (
       select n, 0 as part, case when canon is null then event_id else raw_id end as id, event_type as type,
              canon is not null as normalized, false as parent, null::uuid as raw_event_id, observe or canon is not null as skip,
              lead, mchan, metadata, occurred_at
       from src
       union all
       select n, 1, event_id, canon, true, true, raw_id, observe or canon_observe, lead, mchan, metadata, occurred_at
       from src where canon is not null
     )
     , new_events as (
       insert into events (id, org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, received_at,
                           normalized, normalized_parent, raw_event_id, scored_at)
       select id, $1::uuid, $2::uuid, lead, type, ${CHANNEL_OF_TYPE}, metadata::jsonb, occurred_at, $3::timestamptz, normalized, parent,
              raw_event_id, case when skip then now() end
       from laid_out order by n, part
       returning id, org_id, unit_id, lead_id, seq, scored_at
     )
     ${(await hasScoringQueue(c)) ? QUEUE_INSERT : 'select count(*) from new_events'}`,
    [...t, receivedAt.toISOString()],
  );
  await c.query(
    `with ins as (
       insert into ingest_messages as im (org_id, unit_id, message_id, event_id, lead_id)
       select $1::uuid, $2::uuid, message_id, event_id, lead from lv_import_rows where state is null and message_id is not null
       on conflict (org_id, unit_id, message_id) do update
         set event_id = excluded.event_id, lead_id = excluded.lead_id, created_at = now()
         where im.created_at <= now() - $3::interval
       returning 1
     )
     select lv_assert((select count(*) from ins) = (select count(*) from lv_import_rows where state is null and message_id is not null),
                      '${WRITE_RACE}', 'a message id was created concurrently'),
            pg_notify($4, $5)`,
    [...t, MESSAGE_ID_WINDOW, INGESTED_CHANNEL, unitId],
  );
}

/** One outcome per item: duplicates and missing leads from the staging table, every other row stored. */
async function outcomesOf(c: pg.PoolClient, count: number): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = Array.from({ length: count }, () => ({ ok: true, duplicate: false }));
  const { rows } = await c.query<{ n: number; state: string; ref: number | null }>(
    `select n, state, ref from lv_import_rows where state is not null order by n`,
  );
  const missing: RowOutcome = { ok: false, error: new AppError('not_found', 'lead not found') };
  for (const r of rows) {
    if (r.state === 'missing') outcomes[r.n] = missing;
    else if (r.state === 'stored') outcomes[r.n] = { ok: true, duplicate: true };
    else outcomes[r.n] = (outcomes[r.ref as number] as RowOutcome).ok ? { ok: true, duplicate: true } : missing;
  }
  return outcomes;
}

const errorCode = (err: unknown) => (typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined);

/** Copies, resolves and writes one chunk in one transaction, once `before` (the chunk before it) has settled. */
async function writeChunk(c: pg.PoolClient, items: PreparedEvent[], before: Promise<unknown>): Promise<RowOutcome[]> {
  const first = items[0] as PreparedEvent;
  const { orgId, unitId } = first;
  await c.query('begin');
  try {
    if (!staged.has(c)) await c.query(STAGING);
    staged.add(c);
    await pipeline(Readable.from([copyText(items)]), c.query(copyFrom(COPY)));
    // Statistics of the chunk, so that the joins below are planned as hash joins, not nested loops.
    await c.query('analyze lv_import_rows (n, ref, message_id, lead_in)');
    await before;
    if (items.some((i) => i.messageId !== null)) await markDuplicates(c, orgId, unitId);
    if (items.some((i) => i.leadId !== null)) await resolveLeadIds(c, orgId, unitId);
    await resolveAliases(c, orgId, unitId);
    await writeResolved(c, orgId, unitId, first.receivedAt);
    const outcomes = await outcomesOf(c, items.length);
    await c.query('commit');
    return outcomes;
  } catch (err) {
    await c.query('rollback').catch(() => undefined);
    throw err;
  }
}

/**
 * The CSV import's writer on PostgreSQL: each chunk is COPied into a staging table and resolved
 * there with a few set-based statements (docs/ingestion.md). Chunks commit in the order they are
 * handed over; the next one is copied while the one before is being resolved. A chunk that fails
 * for any other reason than a lost race (retried) goes to `fallback`, the writer of POST
 * /events/batch, which answers per row. All items of an import belong to one OU.
 */
export function createCopyImportWriter(
  database: Database,
  hooks: {
    fallback: (items: PreparedEvent[]) => Promise<RowOutcome[]>;
    onFallback: (err: unknown) => void;
    /** Events stored by a committed chunk (not counting duplicates), for events_ingested_total. */
    onWritten: (stored: number) => void;
  },
): (items: PreparedEvent[]) => Promise<RowOutcome[]> {
  const withClient = database.withPgClient;
  if (!withClient) throw new Error('the COPY import needs PostgreSQL');
  let last: Promise<unknown> = Promise.resolve();
  return (items) => {
    const before = last;
    const written = (async (): Promise<RowOutcome[]> => {
      if (items.length === 0) return [];
      for (let attempt = 1; attempt <= MAX_RACE_RETRIES; attempt++) {
        try {
          const outcomes = await withClient((c) => writeChunk(c, items, before));
          hooks.onWritten(outcomes.filter((o) => o.ok && !o.duplicate).length);
          return outcomes;
        } catch (err) {
          if (errorCode(err) !== WRITE_RACE || attempt === MAX_RACE_RETRIES) {
            hooks.onFallback(err);
            break;
          }
        }
      }
      await before;
      return hooks.fallback(items);
    })();
    last = written.catch(() => undefined);
    return written;
  };
}
