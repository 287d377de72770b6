import fc from 'fast-check';
import { deepObject, hostileString, toJsonText } from './hostile.js';
import type { NamedValues } from './valid.js';

const BOUNDARY = 'fuzz-boundary-7f3a';
const COLUMNS = ['event_type', 'lead_id', 'timestamp', 'metadata', 'external_id', 'email', 'phone', 'cookie', 'social'];

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function form(part: string, csv: string, filename = 'events.csv'): string {
  return (
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part}"; filename="${filename}"\r\n` +
    `Content-Type: text/csv\r\n\r\n${csv}\r\n--${BOUNDARY}--\r\n`
  );
}

const multipartHeaders = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

function validRow(named: NamedValues): fc.Arbitrary<string[]> {
  const types = named('event_type', {}) ?? ['page_view'];
  return fc
    .tuple(fc.constantFrom(...types), fc.stringMatching(/^[a-z]{1,8}@[a-z]{1,8}\.com$/), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 10 }), { maxKeys: 3 }))
    .map(([type, email, metadata]) => [type, '', '', JSON.stringify(metadata), '', email, '', '', '']);
}

/** A row with one cell replaced by something hostile: bad JSON, bad dates, what PostgreSQL cannot store. */
function brokenRow(named: NamedValues): fc.Arbitrary<string[]> {
  const cell = fc.oneof(
    hostileString,
    fc.constantFrom('{not json', '[1,2]', '"text"', toJsonText(deepObject()), '0000-00-00', '2024-13-45T99:99:99Z', '1e400', 'DECAY'),
  );
  return fc.tuple(validRow(named), fc.nat({ max: COLUMNS.length - 1 }), cell).map(([row, column, value]) => {
    const copy = [...row];
    copy[column] = value;
    return copy;
  });
}

function csvOf(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Broken uploads: hostile rows, a header without event_type, the wrong part, broken framing. */
function brokenUpload(named: NamedValues): fc.Arbitrary<{ kind: string; payload: string; headers: Record<string, string> }> {
  const rows = fc.array(fc.oneof(validRow(named), brokenRow(named)), { minLength: 1, maxLength: 5 });
  return fc.oneof(
    rows.map((r) => ({ kind: 'csv-hostile-rows', headers: multipartHeaders, payload: form('file', csvOf(COLUMNS, r)) })),
    rows.map((r) => ({ kind: 'csv-no-event-type-column', headers: multipartHeaders, payload: form('file', csvOf(['email', 'x'], r.map((c) => c.slice(5, 7)))) })),
    rows.map((r) => ({ kind: 'csv-wrong-part', headers: multipartHeaders, payload: form('attachment', csvOf(COLUMNS, r)) })),
    fc.constant({ kind: 'csv-empty-file', headers: multipartHeaders, payload: form('file', '') }),
    fc.constant({ kind: 'csv-header-only', headers: multipartHeaders, payload: form('file', 'event_type\n') }),
    fc.constant({ kind: 'csv-ragged-quotes', headers: multipartHeaders, payload: form('file', 'event_type,email\n"visit,a@b.com\nvisit,"x""\n') }),
    fc.constant({ kind: 'multipart-no-closing-boundary', headers: multipartHeaders, payload: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="e.csv"\r\n\r\nevent_type\nvisit\n` }),
    fc.constant({ kind: 'multipart-no-boundary', headers: { 'content-type': 'multipart/form-data' }, payload: form('file', 'event_type\nvisit\n') }),
    fc.constant({ kind: 'multipart-json-payload', headers: { 'content-type': 'application/json' }, payload: '{"file":"event_type\\nvisit"}' }),
    hostileString.map((name) => ({ kind: 'multipart-hostile-filename', headers: multipartHeaders, payload: form('file', 'event_type\nvisit\n', name.replace(/"/g, '')) })),
  );
}

/** POST /events/import bodies: a valid CSV upload, or a broken one. */
export function csvUploadCase(named: NamedValues, broken: boolean): fc.Arbitrary<{ kind: string; payload: string; headers: Record<string, string> }> {
  if (broken) return brokenUpload(named);
  return fc.array(validRow(named), { minLength: 1, maxLength: 3 }).map((rows) => ({ kind: 'valid', headers: multipartHeaders, payload: form('file', csvOf(COLUMNS, rows)) }));
}
