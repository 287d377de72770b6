import { useRef, useState } from 'preact/hooks';
import { get } from '../api';
import type { Session } from '../main';
import type { LeadPage, LeadRow, LiveEvents } from '../types';
import { ErrorNote, Status, shortId, when } from '../ui/bits';
import { useFrameRender, useLive, useLoad, useResync } from '../ui/hooks';
import { LoadSampleData, WipeSampleData } from './SampleData';
import { CsvImport } from './CsvImport';
import { LeadSearch } from './LeadSearch';

interface Filters {
  range: string;
  min_score: string;
  max_score: string;
  event_type: string;
  last_active: string;
  limit: string;
}
const NO_FILTERS: Filters = { range: '', min_score: '', max_score: '', event_type: '', last_active: '', limit: '25' };

/** Leads of the active OU (GET /leads), live: score_update and event_ingested change rows in place. */
export function LeadsScreen({ session }: { session: Session }) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const changed = useRef(new Set<string>());
  const [note, setNote] = useState('');
  // Live changes since the current list was requested, laid over its rows: a message that arrives
  // while the list is on its way must not be lost when the (older) list replaces the rows.
  const overlay = useRef(new Map<string, Partial<LeadRow>>());
  const render = useFrameRender();
  const leads = useLoad(() => {
    overlay.current = new Map();
    return get<LeadPage>('/leads', { ...filters, page });
  }, [filters, page]);

  useResync(leads.reload);
  useLive((item) => {
    const d = item.data as Partial<LiveEvents['score_update'] & LiveEvents['event_ingested']>;
    const patch: Partial<LeadRow> =
      item.name === 'score_update' ? { score: d.score, level: d.level ?? null }
      : item.name === 'event_ingested' ? { last_event_at: d.occurred_at, last_event_type: d.event_type }
      : {};
    overlay.current.set(item.data.lead_id, { ...overlay.current.get(item.data.lead_id), ...patch });
    if (item.name === 'score_update') changed.current.add(item.data.lead_id);
    render();
  });

  const apply = (e: Event) => {
    e.preventDefault();
    setFilters(Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as unknown as Filters);
    setPage(1);
  };
  const data = leads.data;
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const pages = data ? Math.max(1, Math.ceil(data.total / data.limit)) : 1;
  return (
    <>
      <div class="titlebar">
        <h1>Leads</h1>
        {session.unit.role === 'Owner' && data && data.total > 0 && <WipeSampleData onDone={leads.reload} />}
      </div>
      <LeadSearch />
      <CsvImport onDone={leads.reload} />
      <form class="filters card" onSubmit={apply} aria-label="Filter leads">
        <label>
          Active in
          <select name="range" value={filters.range}>
            <option value="">any time</option>
            {['today', 'yesterday', 'last_24h', 'last_7d', 'last_30d', 'last_90d'].map((r) => (
              <option key={r} value={r}>{r.replace(/_/g, ' ')}</option>
            ))}
          </select>
        </label>
        <label>
          Min score <input name="min_score" type="number" inputMode="numeric" defaultValue={filters.min_score} />
        </label>
        <label>
          Max score <input name="max_score" type="number" inputMode="numeric" defaultValue={filters.max_score} />
        </label>
        <label>
          Event type <input name="event_type" defaultValue={filters.event_type} />
        </label>
        <label>
          Last active
          <select name="last_active" value={filters.last_active}>
            <option value="">any</option>
            <option value="7d">7 days</option>
            <option value="30d">30 days</option>
          </select>
        </label>
        <label>
          Per page
          <select name="limit" value={filters.limit}>
            {['10', '25', '50', '100'].map((n) => <option key={n}>{n}</option>)}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorNote message={leads.error} />
      {note && <Status>{note}</Status>}
      {leads.loading && !data && <Status>Loading leads…</Status>}
      {data && data.total === 0 && !filtered && (
        <LoadSampleData canSeed={session.unit.role === 'Owner'} onDone={(n) => { setNote(n); leads.reload(); }} />
      )}
      {data && (data.total > 0 || filtered) && (
        <>
          <div class="scroll">
            <table>
              <caption>{data.total} leads{filtered ? ' matching the filters' : ''}</caption>
              <thead>
                <tr><th scope="col">Lead</th><th scope="col" class="num">Score</th><th scope="col">Level</th><th scope="col">Last activity</th></tr>
              </thead>
              <tbody>
                {data.leads.map((row) => ({ ...row, ...overlay.current.get(row.lead_id) })).map((l) => (
                  <tr key={l.lead_id} data-lead={l.lead_id} class={changed.current.has(l.lead_id) ? 'changed' : undefined}>
                    <td><a href={`#/leads/${encodeURIComponent(l.lead_id)}`}>{leadName(l)}</a></td>
                    <td class="num score">{l.score}</td>
                    <td>{l.level ?? '—'}</td>
                    <td>{when(l.last_event_at)}{l.last_event_type ? ` · ${l.last_event_type}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
            <span>Page {data.page} of {pages}</span>
            <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</button>
          </div>
        </>
      )}
    </>
  );
}

function leadName(l: LeadRow): string {
  const m = l.metadata;
  const name = [m.first_name, m.last_name].filter((x) => typeof x === 'string').join(' ');
  const email = typeof m.email === 'string' ? m.email : '';
  return name || email || shortId(l.lead_id);
}
