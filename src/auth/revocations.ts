import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';

/**
 * Something that may have taken access away: a deleted API credential, or a change to a member
 * (deleted, removed from an OU, logged out, password or role changed). Listeners re-check what they
 * hold; a member revocation does not say which session or OU, so they ask the database.
 */
export type Revocation = { kind: 'credential'; clientId: string } | { kind: 'member'; orgId: string; memberId: string };
export type RevocationListener = (revocation: Revocation) => void;

/** The one NOTIFY channel on which processes announce revocations to each other. */
export const ACCESS_REVOKED_CHANNEL = 'lv_access_revoked';

function parseRevocation(payload: string): { from: string; revocation: Revocation } | null {
  try {
    const message = JSON.parse(payload) as { from?: unknown; revocation?: Revocation };
    const r = message.revocation;
    if (typeof message.from !== 'string' || !r) return null;
    if (r.kind === 'credential' && typeof r.clientId === 'string') return { from: message.from, revocation: r };
    if (r.kind === 'member' && typeof r.orgId === 'string' && typeof r.memberId === 'string') {
      return { from: message.from, revocation: r };
    }
    return null;
  } catch {
    return null;
  }
}

/**
 * Revocations reach this process's listeners at once when published, and every other process's
 * through NOTIFY on PostgreSQL (a process ignores its own notification, already delivered). PGlite
 * has one process, so in-process delivery is all there is.
 */
export function createRevocationBus(database: Database, onError: (err: unknown) => void) {
  const listeners = new Set<RevocationListener>();
  const processId = randomUUID();
  let unlisten: (() => Promise<void>) | null = null;

  function deliver(revocation: Revocation): void {
    for (const listener of listeners) {
      try {
        listener(revocation);
      } catch (err) {
        onError(err);
      }
    }
  }

  return {
    /** True when revocations of other processes arrive here, so caching what they revoke is safe. */
    get crossProcess(): boolean {
      return database.kind === 'pglite' || unlisten !== null;
    },
    async start(): Promise<void> {
      if (database.kind !== 'postgres' || unlisten) return;
      try {
        unlisten = await database.listen(ACCESS_REVOKED_CHANNEL, (payload) => {
          const message = parseRevocation(payload);
          if (message && message.from !== processId) deliver(message.revocation);
        });
      } catch (err) {
        onError(err);
      }
    },
    subscribe(listener: RevocationListener): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    /**
     * Call after the change is committed, so a listener that re-reads sees it. A failed NOTIFY is
     * reported, not thrown: the change stands, and other processes see it at their next check
     * (stream heartbeat, credential cache expiry).
     */
    async publish(revocation: Revocation): Promise<void> {
      deliver(revocation);
      if (database.kind !== 'postgres') return;
      await database.notify(ACCESS_REVOKED_CHANNEL, JSON.stringify({ from: processId, revocation })).catch(onError);
    },
    async close(): Promise<void> {
      listeners.clear();
      await unlisten?.();
      unlisten = null;
    },
  };
}

export type RevocationBus = ReturnType<typeof createRevocationBus>;
