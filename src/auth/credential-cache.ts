import type { RevocationBus } from './revocations.js';

export interface CachedCredential {
  id: string;
  org_id: string;
  unit_id: string;
  secret_hash: string;
  last_used_at: Date | null;
}

const TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

/**
 * Keeps Basic credentials in memory so the ingestion hot path does not read the database on
 * every request. Revocation stays immediate: `revoke` publishes on the revocation bus, which evicts
 * here and in every other process; the TTL bounds staleness should a notification ever be missed.
 * Unknown client ids are not cached, so a new credential works at once. Nothing is cached while
 * other processes' revocations cannot arrive.
 */
export function createCredentialCache(revocations: RevocationBus) {
  const entries = new Map<string, { credential: CachedCredential; expiresAt: number }>();
  // When each client id was last revoked: a load that started before then may have read the row
  // just before its deletion, so its result is not trusted.
  const revokedAt = new Map<string, number>();

  function evict(clientId: string): void {
    entries.delete(clientId);
    const now = Date.now();
    revokedAt.set(clientId, now);
    for (const [id, at] of revokedAt) if (now - at > TTL_MS) revokedAt.delete(id);
  }

  const unsubscribe = revocations.subscribe((revocation) => {
    if (revocation.kind === 'credential') evict(revocation.clientId);
  });

  return {
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
      if (revocations.crossProcess) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(clientId, { credential, expiresAt: Date.now() + TTL_MS });
      }
      return credential;
    },
    /** Called after the credential's row is deleted (committed). */
    revoke(clientId: string): Promise<void> {
      return revocations.publish({ kind: 'credential', clientId });
    },
    close(): void {
      unsubscribe();
      entries.clear();
    },
  };
}

export type CredentialCache = ReturnType<typeof createCredentialCache>;
