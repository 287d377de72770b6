import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { JsonObject } from '../../db/types.js';
import { AppError, conflict, notFound } from '../../http/errors.js';
import { createJobsRepository, type Job } from '../../jobs/jobs.repository.js';
import { MAX_METADATA_BYTES } from '../ingest/ingest.schemas.js';
import { createAccountsRepository } from '../accounts/accounts.repository.js';
import { LEAD_DELETE_JOB } from './lead-delete.job.js';
import { purgeLeadsOfSource } from './lead-purge.js';
import { mergeLeads, type MergeInput } from './lead-merge.js';
import { rescoreLead } from './lead-rescore.js';
import { createLeadsRepository, type LeadRow } from './leads.repository.js';
import type { DeletionStatus, Lead, LeadAlias, RescoreResult } from './leads.schemas.js';

/** Results of GET /leads/search (the seed's "up to 10"). */
export const SEARCH_LIMIT = 10;

type AliasRow = Awaited<ReturnType<ReturnType<typeof createLeadsRepository>['listAliases']>>[number];

function toLeadAlias(row: AliasRow): LeadAlias {
  return { alias_kind: row.kind, value: row.value, created_at: row.created_at.toISOString() };
}

export function toLead(row: LeadRow): Lead {
  return {
    id: row.id,
    org_id: row.org_id,
    unit_id: row.unit_id,
    account_id: row.account_id,
    owner_id: null,
    owner_name: null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    merged_into: row.merged_into,
    metadata: row.metadata as JsonObject,
  };
}

function toDeletionStatus(job: Job): DeletionStatus {
  return { lead_id: job.subject, status: job.status, status_url: `/leads/${encodeURIComponent(job.subject)}/deletion-status` };
}

/** Semantics §0: metadata objects are at most 100 KB serialized (413 above). */
function checkMetadataSize(metadata: JsonObject): JsonObject {
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) throw new AppError('payload_too_large', 'metadata is larger than 100 KB');
  return metadata;
}

/** A shallow merge: each key of the patch replaces the stored value; a key set to null is removed. */
export function mergeMetadata(current: JsonObject, patch: Record<string, unknown>): JsonObject {
  const merged: JsonObject = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value as JsonObject[string];
  }
  return merged;
}

/**
 * Lead rows for a set-based metadata rewrite in the caller's transaction (field mappings at ingestion,
 * their backfills): `lockLeadRows` locks them in key order, `writeLeadRows` writes the changed ones.
 */
export const leadRowsIn = (trx: Db) => {
  const repo = createLeadsRepository(trx);
  return { lockLeadRows: repo.lockLeadRows, writeLeadRows: repo.writeLeadRows, leadPage: repo.leadPage, linkAccounts: repo.linkAccounts, unlinkAccounts: repo.unlinkAccounts };
};

export interface LeadsServiceDeps {
  db: Db;
  /** Called after a job was queued, so the runner starts on it now rather than at its next poll. */
  onJobQueued?: () => void;
  /**
   * Called after a rescore or merge committed with the lead whose history it queued, so the scoring
   * worker replays it in passes of its own (scoring-worker/lead-replay.ts) rather than at the pace of
   * passes sized for fairness; the worker's loops score it anyway when this is not wired.
   */
  onRescoreQueued?: (lead: { org_id: string; unit_id: string; lead_id: string }) => void;
}

/** Use cases of the lead itself; other modules ask it whether a lead exists instead of reading `leads`. */
export function createLeadsService(deps: LeadsServiceDeps) {
  const { db } = deps;
  const repo = createLeadsRepository(db);
  const jobs = createJobsRepository(db);
  const accounts = createAccountsRepository(db);

  /** The lead of the active OU, or 404 `not_found` (also for a lead of another OU). */
  async function requireLead(t: Tenant, leadId: string): Promise<LeadRow> {
    const lead = await repo.findLead(t, leadId);
    if (!lead) throw notFound('lead');
    return lead;
  }

  return {
    requireLead,

    async listAliases(t: Tenant, leadId: string): Promise<LeadAlias[]> {
      await requireLead(t, leadId);
      return (await repo.listAliases(t, leadId)).map(toLeadAlias);
    },

    async create(t: Tenant, input: { id: string; metadata: Record<string, unknown>; account_id?: string | null | undefined }) {
      const metadata = checkMetadataSize(input.metadata as JsonObject);
      const row = await repo.insertLead(t, { id: input.id, metadata: JSON.stringify(metadata), account_id: input.account_id ?? null });
      if (!row) throw conflict('a lead with this id already exists in the OU');
      return toLead(row);
    },

    /** Creates leads in one statement (sample data); 409 when one of the ids exists already. */
    async createMany(t: Tenant, leads: Array<{ id: string; metadata: JsonObject; account_id: string | null }>): Promise<number> {
      const rows = leads.map((l) => ({ id: l.id, metadata: JSON.stringify(checkMetadataSize(l.metadata)), account_id: l.account_id }));
      return db.transaction().execute(async (trx) => {
        const created = await createLeadsRepository(trx).insertLeads(t, rows);
        if (created < rows.length) throw conflict('some of these leads already exist in the OU');
        return created;
      });
    },

    /** Whether any lead of the OU is tagged `metadata.source = source`. */
    async anyOfSource(t: Tenant, source: string): Promise<boolean> {
      return (await repo.idsOfSource(t, source)).length > 0;
    },

    purgeOfSource: (t: Tenant, source: string) => purgeLeadsOfSource(db, t, source),

    async get(t: Tenant, leadId: string) {
      const lead = await requireLead(t, leadId);
      if (!lead.account_id) return { lead: toLead(lead), account: null };
      // The link is loose text (deals may name an account before it exists): without a row, only the id.
      const account = await accounts.findAccount(t, lead.account_id);
      return {
        lead: toLead(lead),
        account: { account_id: lead.account_id, domain: account?.domain ?? null, name: account?.name ?? null, metadata: (account?.metadata ?? {}) as JsonObject },
      };
    },

    async replace(t: Tenant, leadId: string, input: { metadata: Record<string, unknown>; account_id?: string | null | undefined }) {
      const metadata = checkMetadataSize(input.metadata as JsonObject);
      const row = await repo.replaceLead(t, leadId, { metadata, ...(input.account_id !== undefined && { account_id: input.account_id }) });
      if (!row) throw notFound('lead');
      return toLead(row);
    },

    /** Read, merge and write under the row's lock, so concurrent patches of other keys are all kept. */
    async patchMetadata(t: Tenant, leadId: string, patch: Record<string, unknown>) {
      const row = await db.transaction().execute(async (trx) => {
        const leads = createLeadsRepository(trx);
        const current = await leads.lockLead(t, leadId);
        if (!current) throw notFound('lead');
        return leads.setMetadata(t, leadId, checkMetadataSize(mergeMetadata(current.metadata as JsonObject, patch)));
      });
      return { id: row.id, org_id: row.org_id, unit_id: row.unit_id, metadata: row.metadata as JsonObject };
    },

    async merge(t: Tenant, input: MergeInput) {
      const outcome = await mergeLeads(db, t, input);
      deps.onRescoreQueued?.({ org_id: t.orgId, unit_id: t.unitId, lead_id: input.targetLeadId });
      return { ...outcome, target: toLead(outcome.target) };
    },

    /** Queues a deterministic rebuild of the lead's scores from its raw events (docs/scoring.md "Rescore"). */
    async rescore(t: Tenant, leadId: string): Promise<RescoreResult> {
      const result = await rescoreLead(db, t, leadId);
      deps.onRescoreQueued?.({ org_id: t.orgId, unit_id: t.unitId, lead_id: leadId });
      return result;
    },

    async search(t: Tenant, q: string) {
      const hits = await repo.search(t, q, SEARCH_LIMIT);
      return hits.map((h) => ({ ...h, created_at: h.created_at.toISOString() }));
    },

    /**
     * Queues the lead's deletion (a durable job) and answers its status. Idempotent: while a delete
     * is open the same job answers; once the lead is gone a repeat answers the completed status.
     */
    async delete(t: Tenant, leadId: string): Promise<DeletionStatus> {
      const lead = await repo.findLead(t, leadId);
      if (!lead) {
        const done = await jobs.latest(t, LEAD_DELETE_JOB, leadId);
        if (done?.status === 'completed') return toDeletionStatus(done);
        throw notFound('lead');
      }
      const job = await jobs.enqueue(t, LEAD_DELETE_JOB, leadId);
      deps.onJobQueued?.();
      return toDeletionStatus(job);
    },

    async deletionStatus(t: Tenant, leadId: string): Promise<DeletionStatus> {
      const job = await jobs.latest(t, LEAD_DELETE_JOB, leadId);
      if (!job) throw notFound('lead deletion');
      return toDeletionStatus(job);
    },
  };
}

export type LeadsService = ReturnType<typeof createLeadsService>;
