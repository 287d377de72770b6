import { z } from 'zod';
import { endInput, startInput } from '../../http/date-window.js';

export const GROUPS = ['campaign', 'source', 'medium'] as const;
export type CampaignGroup = (typeof GROUPS)[number];

const isGroup = (v: string): v is CampaignGroup => (GROUPS as readonly string[]).includes(v);
const groupText = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);

/** Seed 001: an unknown group_by on the aggregate falls back to campaign (compared trimmed, any case). */
const groupWithFallback = z
  .preprocess(groupText, z.unknown())
  .transform((v): CampaignGroup => (typeof v === 'string' && isGroup(v) ? v : 'campaign'))
  .describe('campaign (default), source or medium; any other value falls back to campaign');

/** The drilldown names no fallback, so an unknown grouping is a 400 (semantics §0). */
const groupStrict = z.preprocess(groupText, z.enum(GROUPS).default('campaign')).describe('campaign (default), source or medium');

const window = {
  start_date: startInput.describe('Lower bound for occurred_at (inclusive): YYYY-MM-DD or RFC3339'),
  end_date: endInput.describe('Upper bound for occurred_at (inclusive): YYYY-MM-DD (the whole day) or RFC3339'),
};

export const campaignsQuery = z.object({ group_by: groupWithFallback, ...window });
export const campaignLeadsQuery = z.object({ group_by: groupStrict, ...window });
export const campaignLeadsParams = z.object({
  campaign_name: z.string().min(1, 'campaign_name is required').max(1000).describe('The exact UTM value (URL-encoded)'),
});

const iso = z.string();
export const campaignRow = z
  .object({
    name: z.string(),
    total_events: z.number().int(),
    unique_leads: z.number().int(),
    mql_count: z.number().int(),
    total_points: z.number().int(),
    deals_count: z.number().int(),
    pipeline_value: z.number(),
    closed_won_value: z.number(),
    first_event_at: iso.nullable(),
    last_event_at: iso.nullable(),
  })
  .meta({ id: 'CampaignPerformance' });
export const campaignsSchema = z.object({ group_by: z.enum(GROUPS), campaigns: z.array(campaignRow) }).meta({ id: 'CampaignPerformanceList' });

export const campaignLead = z
  .object({
    lead_id: z.string(),
    display_name: z.string().nullable(),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    title: z.string().nullable(),
    company: z.string().nullable(),
    score: z.number().int(),
    level: z.string().nullable(),
    account_id: z.string().nullable(),
    account_name: z.string().nullable(),
    deal_stage: z.string().nullable(),
    deal_amount: z.number().nullable(),
    first_touch_at: iso.nullable(),
    last_touch_at: iso.nullable(),
  })
  .meta({ id: 'CampaignLead' });
export const campaignLeadsSchema = z.object({ campaign_name: z.string(), leads: z.array(campaignLead) }).meta({ id: 'CampaignLeads' });

export type CampaignRow = z.infer<typeof campaignRow>;
export type CampaignLead = z.infer<typeof campaignLead>;
