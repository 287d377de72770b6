import { z } from 'zod';
import { MAX_JSON_DEPTH } from '../../http/storable.js';
import { isReservedEventType, RESERVED_EVENT_TYPES, RESERVED_TYPE_MESSAGE } from '../events/system-events.js';

/** Limits of semantics §0. */
export const MAX_ALIASES = 20;
export const MAX_ALIAS_VALUE = 512;
export const MAX_EVENT_TYPE = 128;
export const MAX_METADATA_BYTES = 100 * 1024;
export const MAX_BATCH_EVENTS = 1000;
export const MAX_MESSAGE_ID = 200;
/** 0001-01-01T00:00:00Z: PostgreSQL has no year 0 (an ISO year 0000 is 1 BC and is refused). */
const MIN_TIMESTAMP_MS = -62_135_596_800_000;

export const aliasKindSchema = z.enum(['email', 'phone', 'external_id', 'cookie', 'social']);

const aliasInput = z.object({
  alias_kind: aliasKindSchema,
  raw_value: z.string().max(MAX_ALIAS_VALUE),
});

/** One event as POST /events takes it; also each item of /events/batch and each CSV row. */
export const eventInputSchema = z
  .object({
    lead_id: z.string().min(1).max(128).nullish().describe('Existing lead identifier; optional when aliases are provided'),
    aliases: z
      .array(aliasInput)
      .min(1)
      .max(MAX_ALIASES)
      .nullish()
      .describe('Preferred. One or more aliases to identify or create a lead (first match wins).'),
    alias_kind: aliasKindSchema.nullish().describe('Deprecated. Use aliases array.'),
    alias: z.string().max(MAX_ALIAS_VALUE).nullish().describe('Deprecated. Use aliases array.'),
    event_type: z
      .string()
      .trim()
      .min(1)
      .max(MAX_EVENT_TYPE)
      .describe(`Reserved types the server writes itself (${RESERVED_EVENT_TYPES.join(', ')}, any case) are refused with 400`),
    timestamp: z.iso
      .datetime({ offset: true })
      .refine((t) => Date.parse(t) >= MIN_TIMESTAMP_MS, 'must be 0001-01-01T00:00:00Z or later')
      .nullish()
      .describe('RFC3339, 0001-01-01T00:00:00Z or later; defaults to the receive time'),
    message_id: z
      .string()
      .min(1)
      .max(MAX_MESSAGE_ID)
      .nullish()
      .describe(
        'Optional idempotency key (1–200 chars), unique per event in your system. A repeat within 7 days in the same OU ' +
          'stores nothing and is answered 202 with the first event\'s event_id and `duplicate: true`.',
      ),
    metadata: z
      .record(z.string(), z.unknown())
      .nullish()
      .describe(
        `A JSON object of at most 100 KB serialized (413 above), nesting at most ${MAX_JSON_DEPTH} levels. ` +
          'Keys the server writes (score_delta, inorganic, grouped_into, scoring_error, decay_id, decrease) are dropped.',
      ),
  })
  .superRefine((value, ctx) => {
    if (isReservedEventType(value.event_type)) {
      ctx.addIssue({ code: 'custom', path: ['event_type'], message: RESERVED_TYPE_MESSAGE });
    }
    const deprecatedGiven = value.alias_kind != null || value.alias != null;
    if (deprecatedGiven && (value.alias_kind == null || value.alias == null)) {
      ctx.addIssue({ code: 'custom', path: ['alias'], message: 'alias_kind and alias must be given together' });
    }
    if (value.lead_id == null && value.aliases == null && !deprecatedGiven) {
      ctx.addIssue({ code: 'custom', path: ['aliases'], message: 'identify the lead with lead_id or aliases' });
    }
  })
  .meta({ id: 'EventInput' });

export type EventInput = z.infer<typeof eventInputSchema>;

export const ingestedSchema = z
  .object({
    message: z.string(),
    metadata: z.object({
      event_id: z.string().describe('For a normalized pair, the id of the canonical (scored) row'),
      lead_id: z.string(),
      lead_created: z.boolean(),
      duplicate: z.boolean().describe('True when message_id was seen in this OU within 7 days: nothing was stored'),
    }),
  })
  .meta({ id: 'EventIngested' });

export const batchBodySchema = z.object({
  events: z
    .array(z.unknown().describe('An EventInput; each item is validated on its own'))
    .min(1)
    .max(MAX_BATCH_EVENTS),
});

export const batchResultSchema = z.object({
  index: z.number().int(),
  status: z.number().int().describe('202 accepted, else the status a single POST /events would have answered'),
  event_id: z.string().optional(),
  lead_id: z.string().optional(),
  lead_created: z.boolean().optional(),
  duplicate: z.boolean().optional().describe('On a 202: true when the item\'s message_id was already stored'),
  error: z.string().optional(),
  message: z.string().optional(),
});

export const batchResponseSchema = z
  .object({
    message: z.string(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    results: z.array(batchResultSchema),
  })
  .meta({ id: 'EventBatchResult' });

export const importResponseSchema = z
  .object({
    message: z.string(),
    accepted: z.number().int().describe('Rows answered as stored, duplicates included'),
    duplicates: z.number().int().describe('Accepted rows whose message_id was already stored: nothing was stored for them'),
    rejected: z.number().int(),
    errors: z
      .array(z.object({ row: z.number().int().describe('Line of the file (the header is line 1)'), error: z.string() }))
      .describe('The first 100 rejected rows'),
  })
  .meta({ id: 'EventImportResult' });
