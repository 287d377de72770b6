import { sql, type SqlBool } from 'kysely';
import { z } from 'zod';
import { dateTimeInput } from '../modules/scoring/scoring.schemas.js';

/**
 * A window over occurred_at. `to` is inclusive for an RFC3339 bound; a bare end date means the
 * whole of that day (semantics §0), held as the next midnight, exclusive (`toExclusive`), so an
 * event at 23:59:59.999999 is still in.
 */
export interface DateWindow {
  from?: Date;
  to?: Date;
  toExclusive?: boolean;
}

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** `start_date` / `end_date` as "YYYY-MM-DD or RFC3339"; garbage is a 400 naming the field. */
export const startInput = dateTimeInput.optional();
export const endInput = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    const parsed = dateTimeInput.safeParse(v);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'expected YYYY-MM-DD or an RFC3339 timestamp' });
      return z.NEVER;
    }
    return BARE_DATE.test(v) ? { at: new Date(parsed.data.getTime() + DAY_MS), exclusive: true } : { at: parsed.data, exclusive: false };
  });

export function toWindow(start: Date | undefined, end: { at: Date; exclusive: boolean } | undefined): DateWindow {
  return { ...(start && { from: start }), ...(end && { to: end.at, toExclusive: end.exclusive }) };
}

/** A start after the end is a client error, not an empty answer. */
export function windowIsOrdered(w: DateWindow): boolean {
  if (!w.from || !w.to) return true;
  return w.toExclusive ? w.from < w.to : w.from <= w.to;
}

/** `column` within the window as one boolean SQL expression (`true` without bounds). */
export function windowSql(column: string, w: DateWindow) {
  const ref = sql.ref(column);
  const parts = [
    ...(w.from ? [sql`${ref} >= ${w.from}`] : []),
    ...(w.to ? [w.toExclusive ? sql`${ref} < ${w.to}` : sql`${ref} <= ${w.to}`] : []),
  ];
  return parts.length === 0 ? sql<SqlBool>`true` : sql<SqlBool>`${sql.join(parts, sql` and `)}`;
}
