import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { DECAY_EVENT_TYPE } from '../events/system-events.js';
import { enqueueEvents, INGESTED_CHANNEL, type QueuedEvent } from './scoring-queue.js';

/** A decay rule applied to a lead for one inactivity period (a decay_applications row). */
interface Application {
  decay_id: string;
  org_id: string;
  unit_id: string;
  lead_id: string;
  decrease: number;
  /** As PostgreSQL's text: microseconds kept, so the link below finds the row (a Date keeps milliseconds). */
  anchor_at: string;
}

/** Applications written per DECAY-event statement: a pass over any number of idle leads stays a few statements. */
const CHUNK = 5000;

/**
 * One decay pass at `now` (semantics §4): for each decay rule, the leads whose last engagement is
 * older than the rule's duration and that have not had the rule applied for that engagement get a
 * system DECAY event. The application row's key (rule, lead, last engagement) makes each rule fire
 * once per inactivity period, across processes; new engagement moves the anchor and re-arms it.
 * The rule and its decrease go into the server-owned columns the engine scores from (decay_id,
 * decay_decrease); the metadata shows them to readers. Set-based whatever the number of leads due
 * (a rule created on an OU of idle leads applies to all of them at once). Returns how many DECAY
 * events were ingested.
 */
export async function runDecayPass(db: Db, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const due = await applyDueRules(trx, now);
    for (let i = 0; i < due.length; i += CHUNK) {
      const events = await insertDecayEvents(trx, due.slice(i, i + CHUNK), now);
      await enqueueEvents(trx, events);
    }
    const units = [...new Set(due.map((a) => a.unit_id))];
    if (units.length > 0) await sql`select count(pg_notify(${INGESTED_CHANNEL}, u)) from unnest(${units}::text[]) as u`.execute(trx);
    return due.length;
  });
}

/** Records the applications due at `now` (a duplicate of another process's is skipped) and answers them. */
async function applyDueRules(trx: Db, now: Date): Promise<Application[]> {
  const { rows } = await sql<Application>`
    insert into decay_applications (decay_id, org_id, unit_id, lead_id, anchor_at)
    select d.id, d.org_id, s.unit_id, s.lead_id, s.last_engaged_at
    from decay_rules d
    join lead_scoring_state s on s.org_id = d.org_id and s.unit_id = d.unit_id
    where s.last_engaged_at is not null
      and s.last_engaged_at <= ${now}::timestamptz - d.inactive_for *
          case d.unit when 'hours' then interval '1 hour' when 'days' then interval '1 day' else interval '1 week' end
    -- One insert order for every pass: two processes' passes wait for each other, never deadlock
    -- (the pass only inserts, so it takes no advisory lock: docs/concurrency.md).
    order by d.id, s.unit_id, s.lead_id
    on conflict do nothing
    returning decay_id::text as decay_id, org_id::text as org_id, unit_id::text as unit_id, lead_id,
              (select r.decrease from decay_rules r
                where r.org_id = decay_applications.org_id and r.id = decay_applications.decay_id) as decrease, anchor_at::text as anchor_at`.execute(trx);
  return rows;
}

/**
 * One DECAY event per application, linked to it, in one statement (the applications travel as one
 * JSON parameter: one bind parameter per value overflowed the protocol's 65,535 past ~7,000 leads).
 */
async function insertDecayEvents(trx: Db, applications: Application[], now: Date): Promise<QueuedEvent[]> {
  const { rows } = await sql<QueuedEvent>`
    with a as materialized (
      select * from json_to_recordset(${JSON.stringify(applications)}::json)
        as a(decay_id uuid, org_id uuid, unit_id uuid, lead_id text, decrease int, anchor_at timestamptz)
    ),
    ev as (
      insert into events (org_id, unit_id, lead_id, event_type, channel, metadata, occurred_at, decay_id, decay_decrease)
      select org_id, unit_id, lead_id, ${DECAY_EVENT_TYPE}, 'system',
             jsonb_build_object('channel', 'system', 'decay_id', decay_id, 'decrease', decrease), ${now}::timestamptz, decay_id, decrease
      from a
      returning id, org_id, unit_id, lead_id, seq, decay_id
    ),
    linked as (
      update decay_applications d set event_id = ev.id
      from ev join a on a.decay_id = ev.decay_id and a.org_id = ev.org_id and a.unit_id = ev.unit_id and a.lead_id = ev.lead_id
      where d.org_id = a.org_id and d.decay_id = a.decay_id and d.unit_id = a.unit_id and d.lead_id = a.lead_id and d.anchor_at = a.anchor_at
    )
    select id::text as id, org_id::text as org_id, unit_id::text as unit_id, lead_id, seq from ev`.execute(trx);
  return rows;
}
