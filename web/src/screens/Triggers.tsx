import { get, post } from '../api';
import { CallState, RowsTable, rowsOf } from '../ui/ApiView';
import { ErrorNote, Section, Status } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { RecentFirings } from './RecentFirings';

/** Triggers (routes.md "Triggers") and their deliveries with status, attempts and replay. */
export function TriggersScreen() {
  const triggers = useLoad(() => get<unknown>('/triggers'), []);
  const milestones = useLoad(() => get<unknown>('/milestones'), []);
  const sequences = useLoad(() => get<unknown>('/sequences'), []);
  const deliveries = useLoad(() => get<unknown>('/deliveries'), []);
  const replay = useAction();
  const replayOne = (id: unknown) =>
    replay.run(async () => {
      await post(`/deliveries/${encodeURIComponent(String(id))}/replay`);
      deliveries.reload();
      return 'Delivery queued again.';
    });
  return (
    <>
      <h1>Triggers</h1>
      <Section title="Pattern and frequency triggers" id="triggers">
        <CallState call={triggers} route="GET /triggers">{(d) => <RowsTable rows={rowsOf(d)} />}</CallState>
      </Section>
      <Section title="Milestones" id="milestones">
        <CallState call={milestones} route="GET /milestones">{(d) => <RowsTable rows={rowsOf(d)} />}</CallState>
      </Section>
      <Section title="Sequences" id="sequences">
        <CallState call={sequences} route="GET /sequences">{(d) => <RowsTable rows={rowsOf(d)} />}</CallState>
      </Section>
      <Section title="Recent firings" id="firings">
        <RecentFirings onFired={deliveries.reload} />
      </Section>
      <Section title="Recent deliveries" id="deliveries">
        <ErrorNote message={replay.error} />
        {replay.done && <Status>{replay.done}</Status>}
        <CallState call={deliveries} route="GET /deliveries">
          {(d) => (
            <RowsTable
              rows={rowsOf(d)}
              actions={(row) => (
                <button type="button" class="small" disabled={replay.busy} onClick={() => replayOne(row.delivery_id ?? row.id)}>Replay</button>
              )}
            />
          )}
        </CallState>
      </Section>
    </>
  );
}
