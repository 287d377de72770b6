import type { Database } from '../db/database.js';

export interface CachedCredential {
  id: string;
  org_id: string;
  unit_id: string;
  secret_hash: string;
  last_used_at: Date | null;
}

/** NOTIFY channel on which a process announces a revoked client id to every other process. */
export const CREDENTIAL_REVOKED_CHANNEL = 'lv_credential_revoked';
const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * Keeps Basic credentials in memory so the ingestion hot path does not read the database on
 * every request. Revocation stays immediate: `revoke` evicts here and NOTIFYs every other process,
 * which evicts on receipt; the TTL bounds staleness should that notification ever be missed.
 * Unknown client ids are not cached, so a new credential works at once.
 */
export function createCredentialCache(database: Database, onError: (err: unknown) => void) {
  const entries = new Map<string, { credential: CachedCredential; expiresAt: number }>();
  // When each client id was last revoked: a load that started before then may have read the row
  // just before its deletion, so its result is not trusted.
  const revokedAt = new Map<string, number>();
  let unlisten: (() => Promise<void>) | null = null;

  function evict(clientId: string): void {
    entries.delete(clientId);
    const now = Date.now();
    revokedAt.set(clientId, now);
    for (const [id, at] of revokedAt) if (now - at > TTL_MS) revokedAt.delete(id);
  }

  return {
    async start(): Promise<void> {
      if (database.kind !== 'postgres' || unlisten) return;
      try {
        unlisten = await database.listen(CREDENTIAL_REVOKED_CHANNEL, evict);
      } catch (err) {
        // Without the channel, fall back to the database on every request rather than risk staleness.
        entries.clear();
        onError(err);
      }
    },
    async get(clientId: string, load: () => Promise<CachedCredential | undefined>): Promise<CachedCredential | undefined> {
      const hit = entries.get(clientId);
      if (hit && hit.expiresAt > Date.now()) return hit.credential;
      const started = Date.now();
      const credential = await load();
      if ((revokedAt.get(clientId) ?? -1) >= started) return undefined;
      if (!credential) {
        entries.delete(clientId);
        return undefined;
      }
      if (database.kind === 'pglite' || unlisten) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(clientId, { credential, expiresAt: Date.now() + TTL_MS });
      }
      return credential;
    },
    /** Called after the credential's row is deleted (committed). */
    async revoke(clientId: string): Promise<void> {
      evict(clientId);
      if (database.kind === 'postgres') await database.notify(CREDENTIAL_REVOKED_CHANNEL, clientId);
    },
    async close(): Promise<void> {
      entries.clear();
      await unlisten?.();
      unlisten = null;
    },
  };
}

export type CredentialCache = ReturnType<typeof createCredentialCache>;
