import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Tenant } from '../../auth/tenant.js';
import type { Database, Db } from '../../db/database.js';
import { AppError, fromDatabaseError, isQueryCanceled, notFound } from '../../http/errors.js';
import type { LiveHub } from '../../live/live-hub.js';
import { SCORING_LANE, type ScoringLane } from '../scoring-worker/scoring-queue.js';
import { createGroupCommit } from './group-commit.js';
import type { PreparedEvent } from './ingest.prepare.js';
import { WRITE_RACE, createIngestRepository } from './ingest.repository.js';
import { planBatch, writeBatch, writePlanned, type Outcome, type PlannedBatch } from './ingest.writer.js';

const DEADLOCK = '40P01';
/** Looking up again settles an alias race (the winner has committed); more rounds only under churn. */
const MAX_RACE_RETRIES = 3;
const FOREIGN_KEY_VIOLATION = '23503';
/** Expired message ids deleted per statement, so the purge never holds locks for long. */
const PURGE_BATCH = 10_000;

export interface IngestServiceOptions {
  groupWaitMs?: number;
  groupMaxItems?: number;
  groupMaxInFlight?: number;
}

export interface WriteOptions {
  /** Publish an `event_ingested` live message per accepted event (off for bulk CSV imports). */
  publish: boolean;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

/**
 * events_ingested_total (the seed's name and help text) and the group-commit fallbacks. queue_depth
 * is kept by the scoring worker, which learns it without a count at every scrape.
 */
function createIngestMetrics(registry: Registry) {
  const ingested = new Counter({
    name: 'events_ingested_total',
    help: 'Total number of events ingested (accepted).',
    registers: [registry],
  });
  const groupFallbacks = new Counter({
    name: 'ingest_group_fallbacks_total',
    help: 'Group-commit writes that failed as a whole and were retried item by item.',
    registers: [registry],
  });
  return { ingested, groupFallbacks };
}

/** Lead delete (src/modules/leads): the idempotency rows of the leads, in the caller's transaction. */
export function deleteLeadMessages(trx: Db, scope: Tenant, leadIds: string[]): Promise<void> {
  return createIngestRepository(trx).deleteMessagesOfLeads(scope.orgId, scope.unitId, leadIds);
}

/** An accepted, newly stored event: what field mappings (src/modules/accounts) read after the write. */
export interface WrittenEvent {
  orgId: string;
  unitId: string;
  leadId: string;
  metadataJson: string;
}

function writtenEvents(items: PreparedEvent[], outcomes: Outcome[]): WrittenEvent[] {
  const written: WrittenEvent[] = [];
  outcomes.forEach((o, i) => {
    const item = items[i] as PreparedEvent;
    if (o.ok && !o.duplicate) written.push({ orgId: item.orgId, unitId: o.unitId, leadId: o.leadId, metadataJson: item.metadataJson });
  });
  return written;
}

export function createIngestService(
  deps: {
    database: Database;
    live: LiveHub;
    registry: Registry;
    log: FastifyBaseLogger;
    /** Runs after each committed write, before the reply (field mappings); must not throw. */
    afterWrite?: (written: WrittenEvent[]) => Promise<void>;
  },
  options: IngestServiceOptions = {},
) {
  const { database, live, log } = deps;
  const metrics = createIngestMetrics(deps.registry);

  /** Live messages and the counter; the scoring worker was already woken by the commit's NOTIFY. */
  function afterCommit(items: PreparedEvent[], outcomes: Outcome[], opts: WriteOptions): void {
    let accepted = 0;
    outcomes.forEach((o, i) => {
      if (!o.ok || o.duplicate) return;
      accepted++;
      if (!opts.publish) return;
      live.publish(o.unitId, 'event_ingested', {
        event_id: o.eventId,
        lead_id: o.leadId,
        event_type: o.eventType,
        channel: o.channel,
        occurred_at: (items[i] as PreparedEvent).occurredAt.toISOString(),
      });
    });
    metrics.ingested.inc(accepted);
  }

  /** One lookup and one atomic write; a batch that lost an alias race looks up again and retries. */
  async function writeOnce(items: PreparedEvent[], lane: ScoringLane = SCORING_LANE.live): Promise<Outcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await writeBatch(database.db, items, lane);
      } catch (err) {
        if (errorCode(err) !== WRITE_RACE || attempt > MAX_RACE_RETRIES) throw err;
      }
    }
  }

  /** One item written on its own: the answer it gets when its group failed as a whole. */
  async function writeAlone(item: PreparedEvent): Promise<Outcome> {
    try {
      return (await writeOnce([item]))[0] as Outcome;
    } catch (err) {
      // The lead was deleted between resolution and insert.
      if (errorCode(err) === FOREIGN_KEY_VIOLATION) return { ok: false, error: notFound('lead') };
      const known = fromDatabaseError(err);
      if (known) {
        log.warn({ err }, 'the database refused an event');
        return { ok: false, error: known };
      }
      log.error({ err }, 'could not ingest an event');
      return { ok: false, error: new AppError('internal_error', 'internal server error') };
    }
  }

  async function writeEach(items: PreparedEvent[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const item of items) outcomes.push(await writeAlone(item));
    return outcomes;
  }

  /**
   * Writes the items in one statement and answers one outcome per item, in order. When the group
   * fails as a whole (a deadlock is retried once), each item is retried alone, so one bad item
   * never costs the others their answer. `first` replaces the first attempt (a pre-planned write).
   */
  async function writeMany(
    items: PreparedEvent[],
    opts: WriteOptions,
    first: () => Promise<Outcome[]> = () => writeOnce(items),
  ): Promise<Outcome[]> {
    if (items.length === 0) return [];
    let outcomes: Outcome[];
    try {
      outcomes = await first();
    } catch (err) {
      if (errorCode(err) === DEADLOCK) {
        outcomes = await writeOnce(items).catch(() => writeEach(items));
      } else if (isQueryCanceled(err)) {
        // The database is too slow right now: one statement per item would only add to its load.
        log.warn({ err, items: items.length }, 'a group write timed out');
        const error = fromDatabaseError(err) as AppError;
        outcomes = items.map(() => ({ ok: false, error }));
      } else if (items.length === 1) {
        outcomes = [await writeAlone(items[0] as PreparedEvent)];
      } else {
        metrics.groupFallbacks.inc();
        log.warn({ err, items: items.length }, 'a group write failed; writing its items one by one');
        outcomes = await writeEach(items);
      }
    }
    await deps.afterWrite?.(writtenEvents(items, outcomes));
    afterCommit(items, outcomes, opts);
    return outcomes;
  }

  /**
   * Writes batches in the order they are given (a lead's rows commit in file order), planning each
   * batch while the one before it is being written: the lookup overlaps that write and takes the
   * aliases the batch before creates as owned. When that batch was not written as planned, or this
   * one loses an alias race, it is planned again once the write before has settled. Its events
   * go to the scoring queue's bulk lane: they yield to live traffic (docs/scoring.md).
   */
  function orderedWriter(opts: WriteOptions): (items: PreparedEvent[]) => Promise<Outcome[]> {
    let last: { plan: Promise<PlannedBatch | null>; asPlanned: Promise<boolean> } | null = null;
    return (items) => {
      const before = last;
      const plan = (async () => {
        const previous = before ? await before.plan : null;
        return planBatch(database.db, items, { pending: previous?.creates ?? null, lane: SCORING_LANE.bulk }).catch(() => null);
      })();
      let written = false;
      const outcomes = (async () => {
        const planned = await plan;
        const beforeAsPlanned = before ? await before.asPlanned : true;
        return writeMany(items, opts, async () => {
          if (planned && beforeAsPlanned) {
            try {
              const result = await writePlanned(database.db, planned);
              written = true;
              return result;
            } catch (err) {
              if (errorCode(err) !== WRITE_RACE) throw err;
            }
          }
          return writeOnce(items, SCORING_LANE.bulk);
        });
      })();
      last = { plan, asPlanned: outcomes.then(() => written, () => false) };
      return outcomes;
    };
  }

  const group = createGroupCommit<PreparedEvent, Outcome>({
    maxWaitMs: options.groupWaitMs ?? 1,
    maxItems: options.groupMaxItems ?? 500,
    // PGlite has one connection: a second group in flight would only wait for it.
    maxInFlight: database.kind === 'pglite' ? 1 : (options.groupMaxInFlight ?? 2),
    run: (items) => writeMany(items, { publish: true }),
  });

  return {
    /** One event through group commit; settles after its group's commit. */
    ingest: (item: PreparedEvent): Promise<Outcome> => group.submit(item),
    /** A batch in one statement (POST /events/batch). */
    ingestMany: (items: PreparedEvent[], opts: WriteOptions) => writeMany(items, opts),
    /** A sequence of batches written in order with overlapping lookups (CSV import chunks). */
    orderedWriter,
    drain: () => group.drain(),
    /** Counts events stored by a writer of its own (the CSV import's COPY path). */
    countIngested: (accepted: number) => metrics.ingested.inc(accepted),
    /** Forgets message ids older than the idempotency window (semantics §2); answers how many. */
    async purgeExpiredMessages(): Promise<number> {
      const repo = createIngestRepository(database.db);
      let total = 0;
      for (let n = PURGE_BATCH; n === PURGE_BATCH; total += n) n = await repo.purgeMessages(PURGE_BATCH);
      return total;
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
