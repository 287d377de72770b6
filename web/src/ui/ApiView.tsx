import type { ComponentChildren } from 'preact';
import { ApiError, messageOf } from '../api';
import { Status } from './bits';
import type { Loaded } from './hooks';

type Row = Record<string, unknown>;
const MAX_COLUMNS = 8;

const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Any list of objects as a table: the screens of APIs still being built show their real answers. */
export function RowsTable({ rows, caption, actions }: { rows: Row[]; caption?: string; actions?: (row: Row) => ComponentChildren }) {
  if (rows.length === 0) return <p>Nothing yet.</p>;
  const columns = Object.keys(rows[0]!).slice(0, MAX_COLUMNS);
  return (
    <div class="scroll">
      <table>
        {caption && <caption>{caption}</caption>}
        <thead><tr>{columns.map((c) => <th scope="col" key={c}>{c.replace(/_/g, ' ')}</th>)}{actions && <th scope="col"><span class="sr">Actions</span></th>}</tr></thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>{columns.map((c) => <td key={c}>{cell(r[c])}</td>)}{actions && <td>{actions(r)}</td>}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const isObject = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const title = (k: string) => k.replace(/_/g, ' ');

/** An object answer: its fields as a definition list, nested objects as sub-sections, lists as tables. */
export function ObjectView({ value, depth = 0 }: { value: Row; depth?: number }) {
  const entries = Object.entries(value);
  const scalars = entries.filter(([, v]) => !Array.isArray(v) && (!isObject(v) || depth >= 3));
  return (
    <>
      {scalars.length > 0 && (
        <dl>{scalars.map(([k, v]) => [<dt key={`k${k}`}>{title(k)}</dt>, <dd key={`v${k}`}>{cell(v)}</dd>])}</dl>
      )}
      {entries.filter(([, v]) => isObject(v) && depth < 3).map(([k, v]) => (
        <div class="nested" key={k}>
          <h3>{title(k)}</h3>
          <ObjectView value={v as Row} depth={depth + 1} />
        </div>
      ))}
      {entries.filter(([, v]) => Array.isArray(v)).map(([k, v]) => <RowsTable key={k} caption={title(k)} rows={v as Row[]} />)}
    </>
  );
}

/**
 * The state of one call: its data, or the envelope's message. A 404 on a whole route says the API
 * is not deployed on this server yet (docs/dashboard.md), with the documented path.
 */
export function CallState<T>({ call, route, children }: { call: Loaded<T> & { raw?: unknown }; route: string; children: (data: T) => ComponentChildren }) {
  if (call.loading && call.data === undefined) return <Status>Loading {route}…</Status>;
  if (call.error)
    return (
      <div class="error" role="alert">
        <p>{call.error}</p>
        {notDeployed(call) && <p>This screen uses <code>{route}</code>, which this server does not offer yet; it shows the data as soon as the API is deployed.</p>}
      </div>
    );
  return <>{call.data !== undefined && children(call.data)}</>;
}

const notDeployed = (call: { error: string }) => /^route .* not found$/.test(call.error);

export const rowsOf = (data: unknown): Row[] =>
  Array.isArray(data) ? (data as Row[]) : (Object.values((data ?? {}) as Row).find(Array.isArray) as Row[] | undefined) ?? [];

export { ApiError, messageOf };
