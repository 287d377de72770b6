import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, messageOf, post } from '../api';
import type { Segment, SegmentRule } from '../types';
import { ErrorNote, Section, Status } from '../ui/bits';
import { useAction, useLive, useLoad } from '../ui/hooks';

const OPERATORS = ['equals', 'not_equals', 'contains', 'not_contains', 'starts_with', 'ends_with', 'gt', 'gte', 'lt', 'lte', 'exists', 'not_exists', 'in'];
/** Live counts: recounted this long after the last ingested event (debounced) and on every rule change. */
const RECOUNT_AFTER_MS = 3000;

function useCounts(segments: Segment[] | undefined) {
  const [counts, setCounts] = useState<Record<string, number | string>>({});
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const recount = () =>
    segments?.forEach((s) =>
      get<{ count: number }>(`/segments/${s.segment_id}/count`).then(
        (c) => setCounts((old) => ({ ...old, [s.segment_id]: c.count })),
        (err: unknown) => setCounts((old) => ({ ...old, [s.segment_id]: messageOf(err) })),
      ),
    );
  useEffect(recount, [segments]);
  useLive((item) => {
    if (item.name !== 'event_ingested') return;
    clearTimeout(timer.current);
    timer.current = setTimeout(recount, RECOUNT_AFTER_MS);
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  return { counts, recount };
}

function RulesOf({ segment, onChange }: { segment: Segment; onChange: () => void }) {
  const rules = useLoad(() => get<SegmentRule[]>(`/segments/${segment.segment_id}/rules`), [segment.segment_id]);
  const action = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = Object.fromEntries(new FormData(form)) as Record<string, string>;
    void action.run(async () => {
      await post(`/segments/${segment.segment_id}/rules`, {
        rule_type: f.rule_type,
        field_name: f.field_name,
        operator: f.operator,
        value: f.value || null,
        event_type: f.event_type || null,
      });
      form.reset();
      rules.reload();
      onChange();
      return 'Added the condition.';
    });
  };
  const remove = (r: SegmentRule) =>
    action.run(async () => {
      await del(`/segments/${segment.segment_id}/rules/${r.rule_id}`);
      rules.reload();
      onChange();
      return 'Removed the condition.';
    });
  return (
    <div class="segment-rules">
      <h3>Conditions of {segment.name}</h3>
      <ErrorNote message={rules.error || action.error} />
      {action.done && <Status>{action.done}</Status>}
      <ul>
        {rules.data?.length === 0 && <li>No conditions: every lead of the OU matches.</li>}
        {rules.data?.map((r) => (
          <li key={r.rule_id}>
            <code>{r.rule_type === 'event_metadata' ? `event ${r.event_type ?? '*'} ` : 'lead '}{r.field_name} {r.operator} {r.value ?? ''}</code>{' '}
            <button type="button" class="secondary small" onClick={() => remove(r)}>Remove</button>
          </li>
        ))}
      </ul>
      <form class="row add" onSubmit={add} aria-label={`New condition for ${segment.name}`}>
        <label>On
          <select name="rule_type"><option value="lead_metadata">lead metadata</option><option value="event_metadata">event metadata</option></select>
        </label>
        <label>Field <input name="field_name" required maxLength={200} /></label>
        <label>Operator <select name="operator">{OPERATORS.map((o) => <option key={o}>{o}</option>)}</select></label>
        <label>Value <input name="value" maxLength={2000} /></label>
        <label>Event type (event rules) <input name="event_type" maxLength={128} /></label>
        <button type="submit" disabled={action.busy}>Add condition</button>
      </form>
    </div>
  );
}

/** Segments with live lead counts (GET /segments/{id}/count) and their conditions. */
export function SegmentsScreen() {
  const segments = useLoad(() => get<Segment[]>('/segments'), []);
  const { counts, recount } = useCounts(segments.data);
  const [open, setOpen] = useState<string | null>(null);
  const action = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '');
    void action.run(async () => {
      const s = await post<Segment>('/segments', { name });
      form.reset();
      segments.reload();
      setOpen(s.segment_id);
      return `Created segment ${name}.`;
    });
  };
  const remove = (s: Segment) =>
    confirm(`Delete segment ${s.name}?`) &&
    action.run(async () => {
      await del(`/segments/${s.segment_id}`);
      segments.reload();
      return `Deleted segment ${s.name}.`;
    });
  const selected = segments.data?.find((s) => s.segment_id === open);
  return (
    <>
      <h1>Segments</h1>
      <Section title="Segments" id="segments">
        <ErrorNote message={segments.error || action.error} />
        {action.done && <Status>{action.done}</Status>}
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col" class="num">Leads</th><th scope="col">Active</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
            <tbody>
              {segments.data?.map((s) => (
                <tr key={s.segment_id} data-segment={s.name}>
                  <td>{s.name}</td>
                  <td class="num count" aria-live="polite">{counts[s.segment_id] ?? '…'}</td>
                  <td>{s.active ? 'yes' : 'no'}</td>
                  <td>
                    <button type="button" class="small" aria-expanded={open === s.segment_id} onClick={() => setOpen(open === s.segment_id ? null : s.segment_id)}>Conditions</button>{' '}
                    <button type="button" class="secondary small" onClick={() => remove(s)}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <form class="row add" onSubmit={create} aria-label="New segment">
          <label>Name <input name="name" required maxLength={200} /></label>
          <button type="submit" disabled={action.busy}>Create segment</button>
        </form>
      </Section>
      {selected && (
        <Section title="Conditions" id="conditions">
          <RulesOf key={selected.segment_id} segment={selected} onChange={recount} />
        </Section>
      )}
    </>
  );
}
