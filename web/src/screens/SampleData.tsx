import { post } from '../api';
import { Busy, ErrorNote, Status } from '../ui/bits';
import { useAction } from '../ui/hooks';

/** POST /admin/seed on an empty OU (owners only); the request runs for seconds, so it shows its state. */
export function LoadSampleData({ canSeed, onDone }: { canSeed: boolean; onDone: (note: string) => void }) {
  const action = useAction();
  const seed = () =>
    action.run(async () => {
      const result = await post<{ message: string }>('/admin/seed');
      onDone(`Sample data loaded (${result.message}). The scoring worker scores its events in the background: scores update live.`);
    });
  return (
    <div class="card empty">
      <h2>No leads in this OU yet</h2>
      <p>
        Send events to <code>POST /events</code> (see the <a href="/docs">API reference</a>), or load a realistic
        sample (200 leads, their events, rules and levels, tagged <code>source=seed</code>) to look around.
      </p>
      {canSeed ? (
        <button type="button" onClick={seed} disabled={action.busy}>
          Load sample data
        </button>
      ) : (
        <p>Only an Owner of this OU can load sample data.</p>
      )}
      {action.busy && <Busy label="Loading sample data… this takes a few seconds" />}
      {action.done && <Status>{action.done}</Status>}
      <ErrorNote message={action.error} />
    </div>
  );
}

/** POST /admin/wipe-seed: removes what the sample created, after a confirmation. */
export function WipeSampleData({ onDone }: { onDone: () => void }) {
  const action = useAction();
  const wipe = () => {
    if (!confirm('Delete the sample leads, events and rules (tagged source=seed) from this OU?')) return;
    void action.run(async () => {
      const r = await post<{ leads_deleted: number; events_deleted: number; rules_deleted: number }>('/admin/wipe-seed');
      onDone();
      return `Removed ${r.leads_deleted} leads, ${r.events_deleted} events and ${r.rules_deleted} rules.`;
    });
  };
  return (
    <span class="inline">
      <button type="button" class="secondary" onClick={wipe} disabled={action.busy}>
        {action.busy ? 'Removing sample data…' : 'Remove sample data'}
      </button>
      {action.done && <Status>{action.done}</Status>}
      <ErrorNote message={action.error} />
    </span>
  );
}
