import { Fragment } from 'preact';
import { get } from '../api';
import type { LiveEvents } from '../types';
import { ErrorNote, Section, Status, when } from '../ui/bits';
import { useLive, useLoad, useResync } from '../ui/hooks';
import { ScoreChart, type Point } from '../ui/ScoreChart';

interface LeadBody {
  lead: { id: string; account_id: string | null; created_at: string; updated_at: string; metadata: Record<string, unknown> };
}
interface Alias { alias_kind: string; value: string; created_at: string }
interface Explain {
  score: number;
  level: string | null;
  top_drivers: Array<{ event_type: string; points: number; events: number }>;
  surge_total: number;
  decay_applied: number;
  window_points: number;
  range_hours: number;
}
interface LeadEvent { id: string; event_type: string; channel: string; occurred_at: string; metadata: Record<string, unknown> }

const path = (id: string) => `/leads/${encodeURIComponent(id)}`;

/** One lead: metadata, aliases, score chart, explanation and events; live score changes apply in place. */
export function LeadDetail({ leadId }: { leadId: string }) {
  const lead = useLoad(() => get<LeadBody>(path(leadId)), [leadId]);
  const aliases = useLoad(() => get<Alias[]>(`${path(leadId)}/aliases`), [leadId]);
  const history = useLoad(() => get<Point[]>('/score-history', { lead_id: leadId }), [leadId]);
  const explain = useLoad(() => get<Explain>(`${path(leadId)}/explain`, { hours: 24 * 30 }), [leadId]);
  const events = useLoad(() => get<LeadEvent[]>(`${path(leadId)}/events`, { limit: 20 }), [leadId]);

  useResync(() => [explain, history, events].forEach((c) => c.reload()));
  useLive((item) => {
    if (item.data.lead_id !== leadId) return;
    if (item.name === 'score_update') {
      const { score, level } = item.data as LiveEvents['score_update'];
      explain.setData((e) => e && { ...e, score, level });
      history.setData((h) => [...(h ?? []), { occurred_at: new Date().toISOString(), score }]);
    }
    if (item.name === 'event_ingested') events.reload();
  });

  if (lead.error) return (<><h1>Lead</h1><ErrorNote message={lead.error} /><a href="#/leads">Back to leads</a></>);
  const l = lead.data?.lead;
  return (
    <>
      <p><a href="#/leads">← All leads</a></p>
      <h1>Lead <code>{leadId}</code></h1>
      <div class="grid">
        <Section title="Score" id="score">
          <ErrorNote message={explain.error} />
          {explain.data && (
            <>
              <p class="big" aria-live="polite"><span class="lead-score">{explain.data.score}</span> <small>{explain.data.level ?? 'no level'}</small></p>
              <p>Last {explain.data.range_hours} h: {explain.data.window_points} points from events, {explain.data.surge_total} from surges, {explain.data.decay_applied} decay.</p>
              <table>
                <caption>Top drivers</caption>
                <thead><tr><th scope="col">Event type</th><th scope="col" class="num">Events</th><th scope="col" class="num">Points</th></tr></thead>
                <tbody>
                  {explain.data.top_drivers.map((d) => (
                    <tr key={d.event_type}><td>{d.event_type}</td><td class="num">{d.events}</td><td class="num">{d.points}</td></tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Section>
        <Section title="Details" id="details">
          {l ? (
            <dl>
              <dt>Created</dt><dd>{when(l.created_at)}</dd>
              <dt>Account</dt><dd>{l.account_id ?? '—'}</dd>
              {Object.entries(l.metadata).map(([k, v]) => (<Fragment key={k}><dt>{k}</dt><dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd></Fragment>))}
            </dl>
          ) : <Status>Loading…</Status>}
          <h3>Aliases</h3>
          <ErrorNote message={aliases.error} />
          <ul>{aliases.data?.map((a) => <li key={a.alias_kind + a.value}>{a.alias_kind}: {a.value}</li>)}</ul>
        </Section>
      </div>
      <Section title="Score history" id="history">
        <ErrorNote message={history.error} />
        {history.data && <ScoreChart points={history.data} label="Score history" />}
      </Section>
      <Section title="Recent events" id="events">
        <ErrorNote message={events.error} />
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Channel</th><th scope="col">Metadata</th></tr></thead>
            <tbody>
              {events.data?.map((e) => (
                <tr key={e.id}><td>{when(e.occurred_at)}</td><td>{e.event_type}</td><td>{e.channel}</td><td><code>{JSON.stringify(e.metadata)}</code></td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </>
  );
}
