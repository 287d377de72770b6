import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { preparedStatement } from '../db/prepared-pool.js';

export type { LiveEventMap, TriggerFired } from './live-events.js';
import type { LiveEventMap } from './live-events.js';

export type LiveEventName = keyof LiveEventMap;

export interface LiveMessage<K extends LiveEventName = LiveEventName> {
  unitId: string;
  name: K;
  data: LiveEventMap[K];
}

export type LiveListener = (message: LiveMessage) => void;

/** The NOTIFY channel live messages cross processes on. */
export const LIVE_CHANNEL = 'lv_live';
/** NOTIFY payloads are limited to 8000 bytes; larger messages are sent in-process only. */
const MAX_NOTIFY_BYTES = 7900;

/**
 * Fan-out of live messages to SSE subscribers of every server process. On PostgreSQL a message is
 * published with NOTIFY and delivered to local subscribers when it comes back through LISTEN, so
 * every process (this one included) sees each message exactly once. PGlite has a single process,
 * so messages are delivered in-process directly.
 */
export function createLiveHub(database: Database, onError: (err: unknown) => void) {
  const listeners = new Map<string, Set<LiveListener>>();
  const crossProcess = database.kind === 'postgres';
  let unlisten: (() => Promise<void>) | null = null;
  let starting: Promise<void> | null = null;
  // Messages published in one tick leave in one statement: a busy ingest publishes thousands a second.
  let outbox: string[] = [];
  let flushing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    const payloads = outbox;
    outbox = [];
    if (payloads.length === 0) return flushing;
    flushing = flushing
      .then(() =>
        sql`${sql.raw(preparedStatement('live_notify'))} select pg_notify(${LIVE_CHANNEL}, p)
            from unnest(${payloads}::text[]) with ordinality as t(p, n) order by n`.execute(database.db),
      )
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      );
    return flushing;
  }

  function deliver(message: LiveMessage): void {
    for (const listener of listeners.get(message.unitId) ?? []) {
      try {
        listener(message);
      } catch (err) {
        onError(err);
      }
    }
  }

  function start(): Promise<void> {
    if (!crossProcess) return Promise.resolve();
    starting ??= database
      .listen(LIVE_CHANNEL, (payload) => {
        try {
          deliver(JSON.parse(payload) as LiveMessage);
        } catch (err) {
          onError(err);
        }
      })
      .then((stop) => {
        unlisten = stop;
      })
      .catch((err: unknown) => {
        // Not fatal: the next start() (or subscribe) tries again once the database answers.
        starting = null;
        onError(err);
      });
    return starting;
  }

  return {
    start,
    publish<K extends LiveEventName>(unitId: string, name: K, data: LiveEventMap[K]): void {
      const message: LiveMessage<K> = { unitId, name, data };
      const payload = JSON.stringify(message);
      if (!crossProcess || Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) {
        deliver(message as LiveMessage);
        return;
      }
      if (outbox.push(payload) === 1) setImmediate(flush);
    },
    /** Listens to the messages of the given OUs; returns the unsubscribe function. */
    subscribe(unitIds: string[], listener: LiveListener): () => void {
      void start();
      for (const unitId of unitIds) {
        let set = listeners.get(unitId);
        if (!set) listeners.set(unitId, (set = new Set()));
        set.add(listener);
      }
      return () => {
        for (const unitId of unitIds) {
          const set = listeners.get(unitId);
          set?.delete(listener);
          if (set?.size === 0) listeners.delete(unitId);
        }
      };
    },
    subscriberCount(): number {
      let n = 0;
      for (const set of listeners.values()) n += set.size;
      return n;
    },
    async close(): Promise<void> {
      await flush();
      listeners.clear();
      await unlisten?.();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's live hub: publishers and tests reach SSE subscribers through it. */
    live: LiveHub;
  }
}
