import { sql, type Insertable, type Selectable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { SlackAppsTable, SlackConnectionsTable, SlackTargetKind } from '../../db/types.js';

export type SlackApp = Selectable<SlackAppsTable>;
export type SlackConnection = Selectable<SlackConnectionsTable>;
export type NewSlackConnection = Omit<Insertable<SlackConnectionsTable>, 'default_target_kind' | 'default_target_id' | 'created_at' | 'updated_at'>;

export function createSlackRepository(db: Db) {
  return {
    findApp(orgId: string) {
      return db.selectFrom('slack_apps').selectAll().where('org_id', '=', orgId).executeTakeFirst();
    },

    upsertApp(app: Omit<Insertable<SlackAppsTable>, 'created_at' | 'updated_at'>) {
      const { org_id: _org, ...changes } = app;
      return db
        .insertInto('slack_apps')
        .values(app)
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ ...changes, updated_at: sql<Date>`now()` }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    insertState(row: { org_id: string; unit_id: string; member_id: string; state_hash: string; ttlSeconds: number }) {
      const { ttlSeconds, ...values } = row;
      return db
        .insertInto('slack_oauth_states')
        .values({ ...values, expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})` })
        .execute();
    },

    /** Expired states of one organization; the callback refuses them anyway. */
    purgeExpiredStates(orgId: string) {
      return db.deleteFrom('slack_oauth_states').where('org_id', '=', orgId).where('expires_at', '<=', sql<Date>`now()`).execute();
    },

    /** Takes a state once: the delete makes it single-use even under concurrent callbacks. */
    takeState(orgId: string, stateHash: string) {
      return db
        .deleteFrom('slack_oauth_states')
        .where('org_id', '=', orgId)
        .where('state_hash', '=', stateHash)
        .returning(['unit_id', 'member_id', sql<boolean>`expires_at > now()`.as('fresh')])
        .executeTakeFirst();
    },

    /** Whether the member may still install in the OU: an org admin, or an Owner or Operator there. */
    async mayInstall(orgId: string, unitId: string, memberId: string): Promise<boolean> {
      const row = await db
        .selectFrom('members as m')
        .leftJoin('ou_memberships as om', (join) =>
          join.onRef('om.member_id', '=', 'm.id').on('om.org_id', '=', orgId).on('om.unit_id', '=', unitId),
        )
        .select(['m.role', 'om.role as unit_role'])
        .where('m.org_id', '=', orgId)
        .where('m.id', '=', memberId)
        .executeTakeFirst();
      return row !== undefined && (row.role === 'admin' || row.unit_role === 'Owner' || row.unit_role === 'Operator');
    },

    findConnection(tenant: Tenant) {
      return db
        .selectFrom('slack_connections')
        .selectAll()
        .where('org_id', '=', tenant.orgId)
        .where('unit_id', '=', tenant.unitId)
        .executeTakeFirst();
    },

    /** A new install replaces the OU's connection; its default target survives only on the same workspace. */
    upsertConnection(row: NewSlackConnection) {
      const { org_id: _org, unit_id: _unit, ...changes } = row;
      const sameTeam = sql`slack_connections.team_id = excluded.team_id`;
      return db
        .insertInto('slack_connections')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['org_id', 'unit_id']).doUpdateSet({
            ...changes,
            default_target_kind: sql`case when ${sameTeam} then slack_connections.default_target_kind end`,
            default_target_id: sql`case when ${sameTeam} then slack_connections.default_target_id end`,
            updated_at: sql<Date>`now()`,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    setDefaultTarget(tenant: Tenant, kind: SlackTargetKind, id: string) {
      return db
        .updateTable('slack_connections')
        .set({ default_target_kind: kind, default_target_id: id, updated_at: sql<Date>`now()` })
        .where('org_id', '=', tenant.orgId)
        .where('unit_id', '=', tenant.unitId)
        .returningAll()
        .executeTakeFirst();
    },

    deleteConnection(tenant: Tenant) {
      return db
        .deleteFrom('slack_connections')
        .where('org_id', '=', tenant.orgId)
        .where('unit_id', '=', tenant.unitId)
        .returning(['bot_token_sealed'])
        .executeTakeFirst();
    },
  };
}

export type SlackRepository = ReturnType<typeof createSlackRepository>;
