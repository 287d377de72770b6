import type { Insertable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ApiCredentialsTable } from '../../db/types.js';

const PUBLIC = ['id', 'name', 'client_id', 'created_at', 'last_used_at'] as const;

export function createSecretsRepository(db: Db) {
  return {
    list(orgId: string, unitId: string) {
      return db
        .selectFrom('api_credentials')
        .select(PUBLIC)
        .where('org_id', '=', orgId)
        .where('unit_id', '=', unitId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
    },
    create(values: Insertable<ApiCredentialsTable>) {
      return db.insertInto('api_credentials').values(values).returning(PUBLIC).executeTakeFirstOrThrow();
    },
    /** Deletes the credential; answers its client id, or undefined when it is not in this OU. */
    async remove(orgId: string, unitId: string, id: string): Promise<string | undefined> {
      const row = await db
        .deleteFrom('api_credentials')
        .where('org_id', '=', orgId)
        .where('unit_id', '=', unitId)
        .where('id', '=', id)
        .returning('client_id')
        .executeTakeFirst();
      return row?.client_id;
    },
  };
}
