import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { windowIsOrdered, type DateWindow } from '../../http/date-window.js';
import { AppError } from '../../http/errors.js';
import type { LeadsService } from '../leads/leads.service.js';
import type { Order } from '../orders/orders.schemas.js';
import type { OrdersService } from '../orders/orders.service.js';
import { rangeWindow } from '../scores/scores.service.js';
import { listActivityEvents, type ActivityEventRow } from './activity.repository.js';
import type { ActivityEvent, ActivityQuery } from './activity.schemas.js';
import { toEvent } from './events.schemas.js';

/** Each list of the activity stream, and the merged timeline, holds at most this many items. */
export const ACTIVITY_CAP = 500;

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', `invalid input: ${field}`, [{ field: `querystring.${field}`, message }]);
}

/** The window of `range` (default last_7d), or of start/end with range=custom or without a range. */
export function activityWindow(q: ActivityQuery, now: Date): DateWindow {
  const bounded = q.start !== undefined || q.end !== undefined;
  if (q.range === 'custom' || (q.range === undefined && bounded)) {
    if (q.range === 'custom' && (q.start === undefined || q.end === undefined)) throw invalid(q.start ? 'end' : 'start', 'range=custom needs start and end');
    const w: DateWindow = { ...(q.start && { from: q.start }), ...(q.end && { to: q.end.at, toExclusive: q.end.exclusive }) };
    if (!windowIsOrdered(w)) throw invalid('start', 'start is after end');
    return w;
  }
  if (bounded) throw invalid(q.start ? 'start' : 'end', 'start and end apply with range=custom only');
  const named = rangeWindow(q.range ?? 'last_7d', now);
  return { ...(named.createdSince && { from: named.createdSince }), ...(named.createdBefore && { to: named.createdBefore, toExclusive: true }) };
}

function toActivityEvent(row: ActivityEventRow): ActivityEvent {
  return { ...toEvent(row), type: 'event', score_delta: row.score_delta, latency_ms: Number(row.latency_ms) };
}

/** Newest first; at equal times orders before events, then by id, so the order is stable. */
function mergeTimeline(events: ActivityEvent[], orders: Order[]): Array<ActivityEvent | Order> {
  const items: Array<ActivityEvent | Order> = [...events, ...orders];
  items.sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.type.localeCompare(a.type) || a.id.localeCompare(b.id));
  return items.slice(0, ACTIVITY_CAP);
}

/** GET /leads/{leadID}/activity: events, synthetic order items and the merged timeline (seed 003). */
export function createActivityService(deps: { db: Db; leads: Pick<LeadsService, 'requireLead'>; orders: Pick<OrdersService, 'listForLead'> }) {
  return {
    async activity(t: Tenant, leadId: string, q: ActivityQuery, now = new Date()) {
      const window = activityWindow(q, now);
      await deps.leads.requireLead(t, leadId);
      const filter = {
        window,
        ...(q.channel !== 'all' && { channel: q.channel }),
        ...(q.minScore !== undefined && { minScore: q.minScore }),
        ...(q.maxLatency !== undefined && { maxLatency: q.maxLatency }),
        hasDelta: q.hasDelta === '1' || q.hasDelta === 'true',
      };
      const [rows, orders] = await Promise.all([listActivityEvents(deps.db, t, leadId, filter, ACTIVITY_CAP), deps.orders.listForLead(t, leadId, window, ACTIVITY_CAP)]);
      const events = rows.map(toActivityEvent);
      return { events, orders, timeline: mergeTimeline(events, orders) };
    },
  };
}
