import { z } from 'zod';
import { aliasKindSchema } from '../ingest/ingest.schemas.js';

const LEAD_ID = /^[A-Za-z0-9_.:@-]+$/;

/** A lead id as clients may choose it (semantics §0); leads made by ingestion have UUIDs, which fit. */
export const leadIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(LEAD_ID, 'lead ids are 1-128 chars of [A-Za-z0-9_.:@-]')
  .describe('1-128 characters of [A-Za-z0-9_.:@-]');

export const leadParamsSchema = z.object({ leadID: leadIdSchema });

const metadataSchema = z
  .record(z.string().min(1).max(200), z.unknown())
  .describe('A JSON object of at most 100 KB serialized (413 above)');

/**
 * An account id: accounts get server-made UUIDs (semantics §0). The link is loose text, not checked
 * against the accounts table: deals (another module) may name an account before any row exists.
 */
const accountIdSchema = z.uuid().nullable();

export const createLeadBody = z.object({
  id: leadIdSchema,
  metadata: metadataSchema.default({}),
  account_id: accountIdSchema.optional(),
});

export const replaceLeadBody = z.object({
  metadata: metadataSchema,
  account_id: accountIdSchema.optional().describe('Omitted: unchanged; null: unlinked'),
});

export const patchMetadataBody = z
  .record(z.string().min(1).max(200), z.unknown())
  .describe('Keys to set (shallow: a nested object replaces the whole value); a key set to null is removed');

export const leadSchema = z
  .object({
    id: z.string(),
    org_id: z.string(),
    unit_id: z.string(),
    account_id: z.string().nullable(),
    owner_id: z.string().nullable().describe('Always null until leads have owners'),
    owner_name: z.string().nullable().describe('Always null until leads have owners'),
    created_at: z.string(),
    updated_at: z.string(),
    merged_into: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Lead' });
export type Lead = z.infer<typeof leadSchema>;

export const leadAccountSchema = z
  .object({ account_id: z.string(), domain: z.string().nullable(), name: z.string().nullable(), metadata: z.record(z.string(), z.unknown()) })
  .nullable()
  .describe('The linked account (null without one); domain, name and metadata are null/empty while no account row has that id');

export const leadWithAccountSchema = z.object({ lead: leadSchema, account: leadAccountSchema });

export const leadMetadataSchema = z.object({
  id: z.string(),
  org_id: z.string(),
  unit_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

export const searchQuery = z.object({
  q: z.string().trim().min(2).max(200).describe('Lead id prefix or alias value prefix, at least 2 characters'),
});

export const searchHitSchema = z
  .object({
    id: z.string(),
    created_at: z.string(),
    matched_by: z.enum(['id', 'alias']),
    alias_kind: aliasKindSchema.nullable(),
    alias_value: z.string().nullable(),
  })
  .meta({ id: 'LeadSearchHit' });

export const deletionStatusSchema = z
  .object({
    lead_id: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed']),
    status_url: z.string(),
  })
  .meta({ id: 'LeadDeletionStatus' });
export type DeletionStatus = z.infer<typeof deletionStatusSchema>;

export const mergeBody = z.object({
  targetLeadId: leadIdSchema,
  sourceLeadIds: z
    .array(leadIdSchema)
    .min(1)
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'source lead ids must be distinct'),
  truncate: z
    .object({
      policy: z.enum(['none', 'keep_latest']).default('none'),
      max_events: z.number().int().min(0).max(1_000_000).optional().describe('With keep_latest: how many of the newest source events move'),
    })
    .refine((t) => t.policy !== 'keep_latest' || t.max_events !== undefined, { message: 'keep_latest needs max_events', path: ['max_events'] })
    .default({ policy: 'none' })
    .describe('none (default): every source event moves; keep_latest: only the max_events newest, the older ones are deleted'),
});

export const mergeResultSchema = z
  .object({
    target: leadSchema,
    mergedSources: z.array(z.string()),
    movedEvents: z.number().int(),
    truncatedEvents: z.number().int(),
    rescore: z.object({
      status: z.literal('queued').describe('The scoring worker rebuilds the target’s scores from its events after the reply'),
      queued_events: z.number().int(),
    }),
  })
  .meta({ id: 'LeadMergeResult' });

export const leadAliasSchema = z
  .object({ alias_kind: aliasKindSchema, value: z.string(), created_at: z.string() })
  .meta({ id: 'LeadAlias' });
export type LeadAlias = z.infer<typeof leadAliasSchema>;

export const rescoreResultSchema = z
  .object({
    lead_id: z.string(),
    status: z.literal('queued').describe('The scoring worker replays the lead’s events after the reply'),
    queued_events: z.number().int().describe('Events queued for the replay (all of the lead’s events)'),
  })
  .meta({ id: 'LeadRescoreResult' });
export type RescoreResult = z.infer<typeof rescoreResultSchema>;
