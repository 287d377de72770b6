import { useEffect, useState } from 'preact/hooks';
import { get, messageOf } from '../api';
import { ErrorNote, shortId } from '../ui/bits';

interface Hit {
  id: string;
  matched_by: 'id' | 'alias';
  alias_kind: string | null;
  alias_value: string | null;
}

/** GET /leads/search as you type (≥ 2 characters, at most 10 hits). */
export function LeadSearch() {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (q.trim().length < 2) {
      setHits(null);
      setError('');
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      get<Hit[]>('/leads/search', { q: q.trim() }).then(
        (h) => current && (setHits(h), setError('')),
        (err: unknown) => current && setError(messageOf(err)),
      );
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q]);
  return (
    <div class="search card" role="search">
      <label>
        Search leads by id or alias (email, phone…)
        <input type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} placeholder="at least 2 characters" />
      </label>
      <ErrorNote message={error} />
      {hits && (
        <ul class="hits" aria-live="polite">
          {hits.length === 0 && <li>No lead matches “{q}”.</li>}
          {hits.map((h) => (
            <li key={h.id}>
              <a href={`#/leads/${encodeURIComponent(h.id)}`}>{h.alias_value ?? shortId(h.id)}</a>{' '}
              <small>{h.matched_by === 'alias' ? h.alias_kind : 'lead id'}</small>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
