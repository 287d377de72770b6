import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { DealsTable, Milestone } from '../../db/types.js';

export type DealRow = Selectable<DealsTable> & { contact_lead_ids: string[] };

/** The explicit contacts of `d`, sorted, as a JSON array (one subquery, no second round trip). */
const explicitContacts = sql<string[]>`coalesce((select json_agg(c.lead_id order by c.lead_id) from deal_contacts c
  where c.org_id = d.org_id and c.deal_id = d.id), '[]'::json)`;

/** The deals, deal_contacts and deal_milestone_scores tables (migrations/0046), scoped to one OU. */
export function createDealsRepository(db: Db) {
  const deals = (t: Tenant) =>
    db.selectFrom('deals as d').selectAll('d').select(explicitContacts.as('contact_lead_ids')).where('d.org_id', '=', t.orgId).where('d.unit_id', '=', t.unitId);

  return {
    find: (t: Tenant, id: string): Promise<DealRow | undefined> => deals(t).where('d.id', '=', id).executeTakeFirst(),

    async list(t: Tenant, stage: string | undefined, page: number, limit: number) {
      const stageIs = sql<boolean>`lower(d.stage) = ${stage?.toLowerCase() ?? null}`;
      const [rows, count] = await Promise.all([
        deals(t)
          .$if(stage !== undefined, (q) => q.where(stageIs))
          .orderBy('d.created_at', 'desc')
          .orderBy('d.id', 'desc')
          .limit(limit)
          .offset((page - 1) * limit)
          .execute(),
        db
          .selectFrom('deals as d')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('d.org_id', '=', t.orgId)
          .where('d.unit_id', '=', t.unitId)
          .$if(stage !== undefined, (q) => q.where(stageIs))
          .executeTakeFirstOrThrow(),
      ]);
      return { rows: rows as DealRow[], total: Number(count.n) };
    },

    insert: (row: Insertable<DealsTable>) => db.insertInto('deals').values(row).returningAll().executeTakeFirstOrThrow(),

    /** The row before and after the update (the service compares milestones); undefined when absent. */
    async update(t: Tenant, id: string, patch: Updateable<DealsTable>) {
      const before = await db.selectFrom('deals').selectAll().where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!before) return undefined;
      const after = await db.updateTable('deals').set({ ...patch, updated_at: new Date() }).where('org_id', '=', t.orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      return { before, after };
    },

    async removeOfSource(t: Tenant, source: string): Promise<number> {
      const result = await db.deleteFrom('deals').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('source', '=', source).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async remove(t: Tenant, id: string) {
      const result = await db.deleteFrom('deals').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async replaceContacts(t: Tenant, dealId: string, leadIds: string[]) {
      await db.deleteFrom('deal_contacts').where('org_id', '=', t.orgId).where('deal_id', '=', dealId).execute();
      if (leadIds.length === 0) return;
      await db.insertInto('deal_contacts').values(leadIds.map((lead_id) => ({ org_id: t.orgId, unit_id: t.unitId, deal_id: dealId, lead_id }))).execute();
    },

    /**
     * Records each contact's current primary score (0 without one) for the milestone; a contact
     * already recorded for this deal and milestone keeps its first score (the primary key).
     */
    async recordMilestone(t: Tenant, dealId: string, milestone: Milestone) {
      await sql`
        insert into deal_milestone_scores (org_id, unit_id, deal_id, lead_id, milestone, score)
        select ${t.orgId}, ${t.unitId}, ${dealId}, c.lead_id, ${milestone}, coalesce(s.total_score, 0)
          from (${contactsSql(t, dealId)}) c
          left join lead_scores s on s.org_id = ${t.orgId} and s.unit_id = ${t.unitId} and s.lead_id = c.lead_id
           and s.ruleset_id = (select r.id from rulesets r where r.org_id = ${t.orgId} and r.unit_id = ${t.unitId} and r.is_primary)
        on conflict do nothing`.execute(db);
    },

    /** The deal's contacts: explicit ones and the live leads of its account, with how each is one. */
    async contacts(t: Tenant, dealId: string) {
      const result = await sql<{ lead_id: string; explicit: boolean; via_account: boolean }>`
        select c.lead_id, bool_or(c.explicit) as explicit, bool_or(not c.explicit) as via_account
          from (${contactsSql(t, dealId, true)}) c group by c.lead_id order by c.lead_id`.execute(db);
      return result.rows;
    },

    /** Lead merge: the sources' explicit contacts become the target's (a deal that had both keeps one row). */
    async moveContacts(t: Tenant, from: string[], to: string) {
      if (from.length === 0) return;
      await sql`insert into deal_contacts (org_id, unit_id, deal_id, lead_id)
        select org_id, unit_id, deal_id, ${to} from deal_contacts
         where org_id = ${t.orgId} and unit_id = ${t.unitId} and lead_id in (${sql.join(from)})
        on conflict do nothing`.execute(db);
      await db.deleteFrom('deal_contacts').where('org_id', '=', t.orgId).where('unit_id', '=', t.unitId).where('lead_id', 'in', from).execute();
    },

    milestoneScores: (t: Tenant, dealId: string) =>
      db
        .selectFrom('deal_milestone_scores')
        .select(['lead_id', 'milestone', 'score', 'recorded_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('deal_id', '=', dealId)
        .orderBy(sql`array_position(array['mql', 'sql', 'opportunity', 'close']::text[], milestone)`)
        .orderBy('lead_id')
        .execute(),
  };
}

/** Explicit contacts union the account's live leads, as rows of `lead_id` (and `explicit` when asked). */
function contactsSql(t: Tenant, dealId: string, withKind = false) {
  const kind = (explicit: boolean) => (withKind ? sql`, ${sql.lit(explicit)} as explicit` : sql``);
  return sql`
    select c.lead_id ${kind(true)} from deal_contacts c where c.org_id = ${t.orgId} and c.deal_id = ${dealId}
    union
    select l.id ${kind(false)} from deals d
      join leads l on l.org_id = d.org_id and l.unit_id = d.unit_id and l.account_id = d.account_id and l.merged_into is null
     where d.org_id = ${t.orgId} and d.unit_id = ${t.unitId} and d.id = ${dealId}`;
}
