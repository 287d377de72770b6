import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/database.js';
import { transactionWithRetry } from '../../db/transaction.js';
import type { JsonObject, PropertyKind } from '../../db/types.js';
import { applyMappings, groupByUnit, unitsOf } from './field-mappings.apply.js';
import { createPropertyScoringRepository } from './property-scoring.repository.js';

/** An accepted event as ingestion wrote it. */
export interface IngestedEvent {
  orgId: string;
  unitId: string;
  leadId: string;
  metadataJson: string;
}

const BOTH: ReadonlySet<PropertyKind> = new Set(['profile', 'account']);

/**
 * Field mappings at ingestion (semantics §5): after a batch's events are committed, the mappings of
 * the batch's OUs copy event metadata into the leads' metadata and their accounts' metadata, in
 * ingestion order. One indexed read per batch when its OUs have no mapping; else one short
 * transaction. It runs before the reply, so a client reading the lead after its 202 sees the
 * mapped properties. A failure is logged and never fails the ingestion: the events are stored, and
 * POST /admin/profile-mappings/apply (or the accounts backfill) replays the mappings from them.
 */
export function createMappingsOnIngest(deps: { db: Db; log: FastifyBaseLogger }) {
  const repo = createPropertyScoringRepository(deps.db);
  return async (written: IngestedEvent[]): Promise<void> => {
    if (written.length === 0) return;
    try {
      const mappings = await repo.mappingsOfUnits(unitsOf(written));
      if (mappings.length === 0) return;
      const byUnit = groupByUnit(mappings);
      const events = written.map((w) => ({ orgId: w.orgId, unitId: w.unitId, leadId: w.leadId, metadata: JSON.parse(w.metadataJson) as JsonObject }));
      await transactionWithRetry(deps.db, (trx) => applyMappings(trx, events, byUnit, BOTH));
    } catch (err) {
      deps.log.error({ err, events: written.length }, 'could not apply field mappings to ingested events');
    }
  };
}
