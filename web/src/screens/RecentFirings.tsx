import { useRef, useState } from 'preact/hooks';
import { get } from '../api';
import type { TriggerFired } from '../types';
import { CallState } from '../ui/ApiView';
import { shortId, when } from '../ui/bits';
import { useLive, useLoad, useResync } from '../ui/hooks';

/** A row of GET /milestones/events and /sequences/events (`id` is the live message's `firing_id`). */
interface FiringItem {
  id: string;
  trigger_name: string | null;
  lead_id: string;
  event_type: string;
  score: number | null;
  delivered: boolean;
  fired_at: string;
}
type Row = Omit<TriggerFired, 'trigger_id' | 'event_id' | 'deliveries' | 'occurred_at'>;

const SHOWN = 20;

async function loadFirings(): Promise<Row[]> {
  const lists = await Promise.all(
    (['milestone', 'sequence'] as const).map(async (kind) =>
      (await get<FiringItem[]>(`/${kind}s/events`, { limit: SHOWN })).map((f): Row => ({ ...f, firing_id: f.id, trigger_name: f.trigger_name ?? '—', kind })),
    ),
  );
  return lists.flat();
}

/** Newest first, each firing once (a live message and the list may both hold it). */
function merged(live: Row[], loaded: Row[]): Row[] {
  const seen = new Set<string>();
  return [...live, ...loaded]
    .filter((r) => !seen.has(r.firing_id) && seen.add(r.firing_id))
    .sort((a, b) => b.fired_at.localeCompare(a.fired_at))
    .slice(0, SHOWN);
}

/** The OU's latest firings: the lists the API keeps, then every `trigger_fired` the stream sends (pattern ones too). */
export function RecentFirings({ onFired }: { onFired: () => void }) {
  const loaded = useLoad(loadFirings, []);
  const [live, setLive] = useState<Row[]>([]);
  const pending = useRef(0);
  useResync(loaded.reload);
  useLive((item) => {
    if (item.name !== 'trigger_fired') return;
    setLive((old) => [item.data as TriggerFired, ...old].slice(0, SHOWN));
    // A firing queues deliveries: one reload of them for a burst of firings.
    if (!pending.current) pending.current = window.setTimeout(() => ((pending.current = 0), onFired()), 500);
  });
  return (
    <CallState call={loaded} route="GET /milestones/events">
      {(rows) => {
        const shown = merged(live, rows);
        if (shown.length === 0) return <p>No firings yet: they appear here as they happen.</p>;
        return (
          <div class="scroll">
            <table aria-label="Recent firings">
              <thead><tr>{['Fired', 'Trigger', 'Kind', 'Lead', 'Event', 'Score', 'Delivery'].map((c) => <th scope="col" key={c}>{c}</th>)}</tr></thead>
              <tbody>
                {shown.map((f) => (
                  <tr key={f.firing_id} data-firing={f.firing_id}>
                    <td>{when(f.fired_at)}</td>
                    <td>{f.trigger_name}</td>
                    <td>{f.kind}</td>
                    <td><a href={`#/leads/${encodeURIComponent(f.lead_id)}`}>{shortId(f.lead_id)}</a></td>
                    <td>{f.event_type}</td>
                    <td>{f.score ?? '—'}</td>
                    <td>{f.delivered ? 'delivered' : 'recorded only'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      }}
    </CallState>
  );
}
