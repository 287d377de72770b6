import type { SessionRow } from './sessions.repository.js';
import type { AttributionSession, Contact } from './sessions.schemas.js';

const DAY_MS = 86_400_000;

interface ConversionEvent {
  at: number;
  page: string | null;
  prev: string | null;
  type: string;
  id: string;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the timestamp form of seeds 002 and 004 (semantics §9). */
export function seedTimestamp(at: Date | number): string {
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

export function round2(x: number): number {
  return Math.round((x + Number.EPSILON) * 100) / 100;
}

const average = (xs: number[]) => (xs.length === 0 ? null : round2(xs.reduce((s, x) => s + x, 0) / xs.length));

function toSession(row: SessionRow, convs: ConversionEvent[], email: string | null): AttributionSession {
  const first = convs[0];
  return {
    timestamp: seedTimestamp(row.start_at),
    source: row.source,
    medium: row.medium,
    content: row.content,
    campaign: row.campaign,
    term: row.term,
    landing_page: row.landing_page,
    ...(first
      ? {
          conversion: {
            email,
            timestamp: seedTimestamp(first.at),
            conversion_page: first.page,
            previous_page: first.prev,
            conversion_meta: { type: first.type, id: first.id },
          },
        }
      : {}),
    ...(row.has_exit ? { exit: { exit_page: row.last_page, previous_page: row.last_prev_page, timestamp: seedTimestamp(row.last_at) } } : {}),
    session_duration: row.duration,
  };
}

/** Page → count, most frequent first (then by page), for interested_pages. */
function countPages(pages: Array<string | null>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const p of pages) if (p !== null) counts.set(p, (counts.get(p) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(sorted);
}

/** Average gap in days between consecutive instants (null below two). */
function avgGapDays(instants: number[]): number | null {
  if (instants.length < 2) return null;
  return round2((instants[instants.length - 1]! - instants[0]!) / (instants.length - 1) / DAY_MS);
}

/** A contact of seed 004 from the lead's whole journey (its sessions in order). */
export function toContact(email: string | null, rows: SessionRow[], now: number): Contact {
  const convsOf = rows.map((r) => JSON.parse(r.convs) as ConversionEvent[]);
  const sessions = rows.map((r, i) => toSession(r, convsOf[i]!, email));
  const convs = convsOf.flat();
  const convertingIndex = convsOf.findIndex((c) => c.length > 0);
  const firstConv = convs[0];
  const lastConv = convs[convs.length - 1];
  const firstStart = rows[0]?.start_at.getTime();
  return {
    email,
    summary: {
      total_sessions: rows.length,
      total_conversions: convs.length,
      conversion_rate_percent: rows.length === 0 ? 0 : round2((100 * convsOf.filter((c) => c.length > 0).length) / rows.length),
      conversion_dates: convs.map((c) => seedTimestamp(c.at)),
      days_since_last_conversion: lastConv ? Math.floor((now - lastConv.at) / DAY_MS) : null,
      is_repeat_converter: convs.length > 1,
      avg_days_between_conversions: avgGapDays(convs.map((c) => c.at)),
      avg_days_between_sessions: avgGapDays(rows.map((r) => r.start_at.getTime())),
      avg_session_duration_seconds: average(rows.map((r) => r.duration)),
      days_to_convert: firstConv && firstStart !== undefined ? Math.floor((firstConv.at - firstStart) / DAY_MS) : null,
      user_journey: sessions,
      interested_pages: {
        landing_pages: countPages(rows.map((r) => r.landing_page)),
        conversion_pages: countPages(convs.map((c) => c.page)),
        exit_pages: countPages(rows.filter((r) => r.has_exit).map((r) => r.last_page)),
        previous_conversion_pages: countPages(convs.map((c) => c.prev)),
        previous_exit_pages: countPages(rows.filter((r) => r.has_exit).map((r) => r.last_prev_page)),
      },
      first_touch: sessions[0] ?? null,
      converting_touch: convertingIndex >= 0 ? sessions[convertingIndex]! : null,
      recent_touch: sessions[sessions.length - 1] ?? null,
    },
  };
}
