import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/** The organization's webhook signing secret (made at signup), which signs X-Leadvibe-Signature. */
export function readWebhookSecret(db: Db, orgId: string): Promise<{ secret: string; rotated_at: Date }> {
  return db.selectFrom('organizations').select(['webhook_secret as secret', 'webhook_secret_rotated_at as rotated_at']).where('id', '=', orgId).executeTakeFirstOrThrow();
}

/** Replaces the organization's webhook secret; later deliveries are signed with the new one. */
export function rotateWebhookSecret(db: Db, orgId: string): Promise<{ secret: string; rotated_at: Date }> {
  return db
    .updateTable('organizations')
    .set({ webhook_secret: randomBytes(32).toString('hex'), webhook_secret_rotated_at: sql`now()` })
    .where('id', '=', orgId)
    .returning(['webhook_secret as secret', 'webhook_secret_rotated_at as rotated_at'])
    .executeTakeFirstOrThrow();
}
