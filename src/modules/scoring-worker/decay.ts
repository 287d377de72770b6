import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { DECAY_EVENT_TYPE } from '../events/system-events.js';
import { enqueueEvents, INGESTED_CHANNEL } from './scoring-queue.js';

/**
 * One decay pass at `now` (semantics §4): for each decay rule, the leads whose last engagement is
 * older than the rule's duration and that have not had the rule applied for that engagement get a
 * system DECAY event. The application row's key (rule, lead, last engagement) makes each rule fire
 * once per inactivity period, across processes; new engagement moves the anchor and re-arms it.
 * The rule and its decrease go into the server-owned columns the engine scores from (decay_id,
 * decay_decrease); the metadata shows them to readers. Returns how many DECAY events were ingested.
 */
export async function runDecayPass(db: Db, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ decay_id: string; org_id: string; unit_id: string; lead_id: string; decrease: number; anchor_at: Date }>`
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
                  where r.org_id = decay_applications.org_id and r.id = decay_applications.decay_id) as decrease, anchor_at`.execute(trx);
    if (rows.length === 0) return 0;
    const inserted = await trx
      .insertInto('events')
      .values(
        rows.map((r) => ({
          org_id: r.org_id,
          unit_id: r.unit_id,
          lead_id: r.lead_id,
          event_type: DECAY_EVENT_TYPE,
          channel: 'system',
          metadata: sql`${JSON.stringify({ channel: 'system', decay_id: r.decay_id, decrease: r.decrease })}::jsonb`,
          occurred_at: now,
          decay_id: r.decay_id,
          decay_decrease: r.decrease,
        })),
      )
      .returning(['id', 'org_id', 'unit_id', 'lead_id', 'seq'])
      .execute();
    await enqueueEvents(trx, inserted);
    await sql`select count(pg_notify(${INGESTED_CHANNEL}, u)) from unnest(${[...new Set(inserted.map((e) => e.unit_id))]}::text[]) as u`.execute(trx);
    // Link each application to its event (same order as inserted).
    for (const [i, ev] of inserted.entries()) {
      const r = rows[i];
      if (!r) continue;
      await trx
        .updateTable('decay_applications')
        .set({ event_id: ev.id })
        .where('org_id', '=', r.org_id)
        .where('decay_id', '=', r.decay_id)
        .where('unit_id', '=', r.unit_id)
        .where('lead_id', '=', r.lead_id)
        .where('anchor_at', '=', r.anchor_at)
        .execute();
    }
    return inserted.length;
  });
}
