import { z } from 'zod';
import { pageQuery } from '../../http/pagination.js';
import { leadIdSchema } from '../leads/leads.schemas.js';
import { dateTimeInput } from '../scoring/scoring.schemas.js';

const name = z.string().trim().min(1).max(200);
/** numeric(16, 2): up to 14 digits before the point; cents are kept, finer fractions rounded by the database. */
const amount = z.number().min(0).max(99_999_999_999_999);
const accountId = z.uuid().nullable().describe('The account whose leads are contacts of the deal (leads.account_id)');
const contactIds = z
  .array(leadIdSchema)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'lead ids must not repeat' })
  .describe('Explicit contacts (leads of the active OU); the leads of account_id are contacts as well');
const closedAt = dateTimeInput.nullable().describe('YYYY-MM-DD or RFC3339; set to the time of entry when the deal enters closed-won without one');

export const dealBody = z.object({
  name,
  stage: name.describe('Free text; mapped to a milestone (mql, sql, opportunity, close) as semantics §8 says'),
  amount,
  account_id: accountId.optional(),
  contact_lead_ids: contactIds.optional(),
  closed_at: closedAt.optional(),
});
export const dealPatchBody = z.object({
  name: name.optional(),
  stage: name.optional(),
  amount: amount.optional(),
  account_id: accountId.optional(),
  contact_lead_ids: contactIds.optional().describe('Replaces the explicit contacts when given'),
  closed_at: closedAt.optional(),
});
export type DealInput = z.infer<typeof dealBody>;
export type DealPatch = z.infer<typeof dealPatchBody>;

export const dealParams = z.object({ id: z.uuid() });
export const dealListQuery = pageQuery.extend({ stage: z.string().trim().min(1).max(200).optional().describe('Exact stage, any case') });

const iso = z.string();
const milestone = z.enum(['mql', 'sql', 'opportunity', 'close']);
export const dealSchema = z
  .object({
    deal_id: z.string(),
    name: z.string(),
    stage: z.string(),
    milestone: milestone.nullable(),
    amount: z.number(),
    account_id: z.string().nullable(),
    contact_lead_ids: z.array(z.string()).describe('Explicit contacts only'),
    closed_at: iso.nullable(),
    created_at: iso,
    updated_at: iso,
  })
  .meta({ id: 'Deal' });
export const dealListSchema = z.object({ deals: z.array(dealSchema), total: z.number().int(), page: z.number().int(), limit: z.number().int() });

export const dealDetailSchema = dealSchema
  .extend({
    contacts: z.array(z.object({ lead_id: z.string(), explicit: z.boolean(), via_account: z.boolean() })),
    milestone_scores: z.array(z.object({ lead_id: z.string(), milestone, score: z.number().int(), recorded_at: iso })),
  })
  .meta({ id: 'DealDetail' });

export const attributionSchema = z
  .object({
    closed_won_deals: z.number().int(),
    avg_score_at_mql: z.number().nullable(),
    avg_score_at_sql: z.number().nullable(),
    avg_score_at_opportunity: z.number().nullable(),
    avg_score_at_close: z.number().nullable(),
    top_event_types: z.array(z.object({ event_type: z.string(), deal_count: z.number().int(), total_points: z.number().int() })),
  })
  .meta({ id: 'AttributionInsights' });

export type Deal = z.infer<typeof dealSchema>;
export type DealDetail = z.infer<typeof dealDetailSchema>;
