import { useState } from 'preact/hooks';
import { upload } from '../api';
import { Busy, ErrorNote, Status } from '../ui/bits';
import { useAction } from '../ui/hooks';

interface ImportResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: Array<{ row: number; error: string }>;
}

/** POST /events/import (multipart `file`), with upload progress, then the server's row counts. */
export function CsvImport({ onDone }: { onDone: () => void }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const file = (form.elements.namedItem('file') as HTMLInputElement).files?.[0];
    if (!file) return;
    setResult(null);
    setProgress(0);
    void action.run(async () => {
      const r = await upload<ImportResult>('/events/import', file, setProgress);
      setResult(r);
      form.reset();
      onDone();
      return `Imported ${file.name}: ${r.accepted} rows accepted (${r.duplicates} duplicates), ${r.rejected} rejected.`;
    });
  };
  return (
    <details class="card">
      <summary>Import events from CSV</summary>
      <p>
        Columns: <code>event_type</code> (required), <code>lead_id</code>, <code>timestamp</code>, <code>metadata</code> (JSON),{' '}
        <code>message_id</code>, and the alias columns <code>email</code>, <code>phone</code>, <code>external_id</code>, <code>cookie</code>, <code>social</code>.
      </p>
      <form class="row" onSubmit={submit} aria-label="Import events from CSV">
        <label>CSV file <input name="file" type="file" accept=".csv,text/csv" required /></label>
        <button type="submit" disabled={action.busy}>Import</button>
      </form>
      {action.busy &&
        (progress === null ? (
          <Busy label="Importing: the server is storing the rows…" />
        ) : (
          <div class="busy" role="status">
            <progress aria-label="Uploading" value={progress} max={1} />
            <span>Uploading… {Math.round(progress * 100)}%</span>
          </div>
        ))}
      {action.done && <Status>{action.done}</Status>}
      <ErrorNote message={action.error} />
      {result && result.errors.length > 0 && (
        <ul class="errors" aria-label="Rejected rows">
          {result.errors.map((e) => <li key={e.row}>Line {e.row}: {e.error}</li>)}
        </ul>
      )}
    </details>
  );
}
