import { useState } from 'preact/hooks';
import { liveFeed, type FeedItem } from '../live';
import type { TriggerFired } from '../types';
import { shortId } from '../ui/bits';
import { useFrameRender, useLive } from '../ui/hooks';

function describe(item: FeedItem): string {
  const d = item.data as unknown as Record<string, unknown>;
  switch (item.name) {
    case 'event_ingested':
      return `${String(d.event_type)} on ${String(d.channel)}`;
    case 'score_update':
      return `score ${Number(d.delta) >= 0 ? '+' : ''}${String(d.delta)} → ${String(d.score)}${d.level ? ` (${String(d.level)})` : ''}`;
    case 'surge':
      return `surge ×${String(d.multiplier)} after ${String(d.session_events)} events in the session`;
    case 'trigger_fired':
      return firingText(item.data as TriggerFired);
    default:
      return JSON.stringify(d);
  }
}

/** "Demo booked" (milestone) fired on demo_request at score 105: 2 deliveries queued */
export function firingText(f: TriggerFired): string {
  const sent = f.delivered ? `${f.deliveries} ${f.deliveries === 1 ? 'delivery' : 'deliveries'} queued` : 'recorded only (decide scope)';
  return `“${f.trigger_name}” (${f.kind}) fired on ${f.event_type}${f.score === null ? '' : ` at score ${f.score}`}: ${sent}`;
}

const LABEL: Record<string, string> = { event_ingested: 'Event', score_update: 'Score', surge: 'Surge', trigger_fired: 'Trigger' };

/** What GET /stream sends for the active OU, newest first (the last 200 since this page loaded). */
export function FeedScreen() {
  const [show, setShow] = useState('');
  const render = useFrameRender();
  useLive(render);
  const items = liveFeed().filter((i) => !show || i.name === show);
  return (
    <>
      <h1>Live feed</h1>
      <p>Events, score changes, surges and trigger firings of this OU as they happen (GET /stream).</p>
      <label class="inline-label">
        Show
        <select value={show} onChange={(e) => setShow((e.target as HTMLSelectElement).value)}>
          <option value="">everything</option>
          <option value="event_ingested">events</option>
          <option value="score_update">score changes</option>
          <option value="surge">surges</option>
          <option value="trigger_fired">trigger firings</option>
        </select>
      </label>
      {items.length === 0 && <p class="status">Waiting for activity… ingest an event with <code>POST /events</code>.</p>}
      <div role="log" aria-label="Live activity">
      <ol class="feed">
        {items.map((i) => (
          <li key={i.seq} class={`feed-${i.name}`} data-event={i.name} data-lead={i.data.lead_id}>
            <time dateTime={i.at}>{new Date(i.at).toLocaleTimeString()}</time>
            <span class="kind">{LABEL[i.name] ?? i.name}</span>
            <a href={`#/leads/${encodeURIComponent(i.data.lead_id)}`}>{shortId(i.data.lead_id)}</a>
            <span>{describe(i)}</span>
          </li>
        ))}
      </ol>
      </div>
    </>
  );
}
