import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';
import { leadRange } from '../scores/scores.schemas.js';

export const accountListQuery = pageQuery.extend({
  range: leadRange.optional().describe('Accounts created in this window'),
  search: z.string().trim().min(1).max(200).optional().describe('Case-insensitive substring of the name or domain (wildcards literal)'),
  intent_level: z.enum(['all', 'low', 'medium', 'high']).default('all').describe('The account level (named Low, Medium, High) holding top_score'),
});

const accountBase = {
  account_id: z.string(),
  org_id: z.string(),
  unit_id: z.string(),
  domain: z.string().nullable(),
  name: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
};

export const accountListItemSchema = z
  .object({
    ...accountBase,
    top_score: z.number().int().nullable().describe('Highest primary engagement score of its leads (null without scored leads)'),
    leads_count: z.number().int(),
    owner_name: z.string().nullable().describe('metadata.owner_name of the top-scoring lead'),
    surging: z.boolean().describe('A lead of the account had a surged event in the last 24 hours'),
    intent_level: z.string().nullable(),
  })
  .meta({ id: 'AccountListItem' });

export const accountListSchema = z.object({ accounts: z.array(accountListItemSchema), total: z.number().int(), page: z.number().int(), limit: z.number().int() });

export const accountDetailSchema = z
  .object({
    ...accountBase,
    top_score: z.number().int().nullable(),
    leads_count: z.number().int(),
    account_score: z.number().int().describe('Σ weights of the matching account rules (scoring account ruleset)'),
    account_level: z.string().nullable(),
    leads: z.array(z.object({ lead_id: z.string(), score: z.number().int(), created_at: z.string(), metadata: z.record(z.string(), z.unknown()) })),
    recent_events: z.array(z.object({ event_id: z.string(), lead_id: z.string(), event_type: z.string(), channel: z.string(), occurred_at: z.string() })),
  })
  .meta({ id: 'AccountDetail' });

export const accountParams = z.object({ id: z.string().min(1).max(128) });

export const batchDeleteBody = z.object({
  ids: z
    .array(z.string().min(1).max(128))
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'ids must be distinct'),
});
export const batchDeleteResultSchema = z.object({
  deleted: z.array(z.string()),
  unlinked_leads: z.number().int(),
  not_found: z.array(z.string()).describe('Ids that are no account of the active OU (left alone)'),
});

export const leadAccountViewSchema = z
  .object({ lead_id: z.string(), account: accountDetailSchema.omit({ leads: true, recent_events: true }).nullable() })
  .meta({ id: 'LeadAccount' });
