import { z } from 'zod';

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** "YYYY-MM-DD or RFC3339" (semantics §0); `endOfDay` makes a bare date mean the end of that day. */
function dateBound(endOfDay: boolean) {
  return z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'expected YYYY-MM-DD or an RFC3339 timestamp' })
    .transform((v) => {
      if (!BARE_DATE.test(v)) return new Date(v);
      const start = new Date(`${v}T00:00:00Z`);
      return endOfDay ? new Date(start.getTime() + DAY_MS - 1) : start;
    })
    .describe('YYYY-MM-DD or RFC3339');
}

const filterValue = z.string().min(1).max(2048);

export const touchScopes = ['any', 'first', 'converting', 'assist', 'after'] as const;
export type TouchScope = (typeof touchScopes)[number];

/** The session filters both endpoints share (seeds 002 and 004, "Query Parameters"). */
const sessionFilterFields = {
  start_date: dateBound(false).optional(),
  end_date: dateBound(true).optional(),
  conversion_page: filterValue.optional().describe('exact URL of the conversion event'),
  meta_type: filterValue.optional().describe('conversion type (metadata.conversion_type, else "custom")'),
  meta_id: filterValue.optional().describe('conversion id (metadata.conversion_id, else the event type)'),
  source: filterValue.optional(),
  medium: filterValue.optional(),
  campaign: filterValue.optional(),
  content: filterValue.optional(),
  term: filterValue.optional(),
  landing_page: filterValue.optional(),
  touch_scope: z.enum(touchScopes).default('any'),
};

function windowInOrder(v: { start_date?: Date | undefined; end_date?: Date | undefined }) {
  // Runs even when a field failed (left untransformed): compare only two parsed dates.
  return !(v.start_date instanceof Date && v.end_date instanceof Date && v.start_date > v.end_date);
}
const windowMessage = { message: 'start_date must not be after end_date', path: ['start_date'] };

export const insightsBody = z.object(sessionFilterFields).refine(windowInOrder, windowMessage);
export type InsightsBody = z.infer<typeof insightsBody>;

export const MAX_EMAILS = 1000;
/** A JSON array of strings or one comma-separated string (semantics §9), normalized like email aliases. */
const emailsInput = z
  .union([z.array(z.string().max(512)).max(MAX_EMAILS), z.string().max(MAX_EMAILS * 512)])
  .transform((v, ctx) => {
    const list = (Array.isArray(v) ? v : v.split(',')).map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
    const unique = [...new Set(list)];
    if (unique.length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one email' });
    if (unique.length > MAX_EMAILS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_EMAILS} emails` });
    return unique;
  })
  .describe('emails (array or comma-separated); when given, every other filter is ignored');

export const contactsBody = z
  .object({ ...sessionFilterFields, offset: z.number().int().min(0).max(1_000_000_000).default(0), emails: emailsInput.optional() })
  .refine(windowInOrder, windowMessage);
export type ContactsBody = z.infer<typeof contactsBody>;

export const noDataSchema = z.object({ message: z.string() });

const num = z.number();
const nullableNum = z.number().nullable();
const bins = z.object({ '0-1 days': num, '1-3 days': num, '3-7 days': num, '7+ days': num });

export const channelSchema = z.object({
  channel: z.string(),
  total_sessions: z.number().int(),
  total_users: z.number().int(),
  converting_users_first_touch: z.number().int(),
  converting_users_assisting_touch: z.number().int(),
  converting_users_converting_touch: z.number().int(),
  converting_users_after_touch: z.number().int(),
  session_influence: z.string(),
  conversion_influence: z.string(),
  attributed_to_conversion: z.number().int(),
  conversion_rate: z.string(),
});

export const insightsSchema = z
  .object({
    overall_metrics: z.object({
      user_summary: z.object({
        total_users: z.number().int(),
        total_converted_users: z.number().int(),
        conversion_rate: z.string(),
        avg_sessions_per_user: num,
        avg_sessions_per_converted_user: nullableNum,
      }),
      session_summary: z.object({
        total_sessions: z.number().int(),
        total_converting_sessions: z.number().int(),
        total_drop_off_sessions: z.number().int(),
        avg_session_duration_seconds: nullableNum,
        avg_converting_session_duration: nullableNum,
        avg_drop_off_session_duration: nullableNum,
        median_converting_session_duration: nullableNum,
        median_drop_off_session_duration: nullableNum,
      }),
      conversion_summary: z.object({
        avg_time_to_convert: nullableNum,
        median_time_to_convert: nullableNum,
        conversion_timeline_bins: z.object({ counts: bins, percentages: bins }),
      }),
      channels: z.array(channelSchema),
    }),
  })
  .meta({ id: 'SessionInsights' });

const exitSchema = z.object({ exit_page: z.string().nullable(), previous_page: z.string().nullable(), timestamp: z.string() });
const conversionSchema = z.object({
  email: z.string().nullable(),
  timestamp: z.string(),
  conversion_page: z.string().nullable(),
  previous_page: z.string().nullable(),
  conversion_meta: z.object({ type: z.string(), id: z.string() }),
});
export const sessionSchema = z
  .object({
    timestamp: z.string(),
    source: z.string(),
    medium: z.string(),
    content: z.string().nullable(),
    campaign: z.string().nullable(),
    term: z.string().nullable(),
    landing_page: z.string().nullable(),
    conversion: conversionSchema.optional(),
    exit: exitSchema.optional(),
    session_duration: z.number().int(),
  })
  .meta({ id: 'AttributionSession' });

const pageCounts = z.record(z.string(), z.number().int());
export const contactSchema = z.object({
  email: z.string().nullable(),
  summary: z.object({
    total_sessions: z.number().int(),
    total_conversions: z.number().int(),
    conversion_rate_percent: num,
    conversion_dates: z.array(z.string()),
    days_since_last_conversion: z.number().int().nullable(),
    is_repeat_converter: z.boolean(),
    avg_days_between_conversions: nullableNum,
    avg_days_between_sessions: nullableNum,
    avg_session_duration_seconds: nullableNum,
    days_to_convert: z.number().int().nullable(),
    user_journey: z.array(sessionSchema),
    interested_pages: z.object({
      landing_pages: pageCounts,
      conversion_pages: pageCounts,
      exit_pages: pageCounts,
      previous_conversion_pages: pageCounts,
      previous_exit_pages: pageCounts,
    }),
    first_touch: sessionSchema.nullable(),
    converting_touch: sessionSchema.nullable(),
    recent_touch: sessionSchema.nullable(),
  }),
});

export const contactsSchema = z
  .object({
    contacts: z.array(contactSchema),
    pagination: z.object({ records_processed: z.number().int(), total_records: z.number().int(), has_more: z.boolean() }),
  })
  .meta({ id: 'ConvertedContacts' });

export type Insights = z.infer<typeof insightsSchema>;
export type Contact = z.infer<typeof contactSchema>;
export type AttributionSession = z.infer<typeof sessionSchema>;
