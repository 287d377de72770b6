import { del, get, post, put } from '../api';
import type { Decay, Level, Rule } from '../types';
import { ErrorNote, Section, Status } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { SurgeEditor } from './SurgeEditor';

const formOf = (e: Event) => {
  e.preventDefault();
  return Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as Record<string, string>;
};

/** Scoring rules of the primary rule set: weight and active edited in place (PUT /rules/{id}). */
function RulesEditor() {
  const rules = useLoad(() => get<Rule[]>('/rules'), []);
  const action = useAction();
  const save = (rule: Rule) => (e: Event) => {
    const f = formOf(e);
    void action.run(async () => {
      await put(`/rules/${rule.rule_id}`, { weight: Number(f.weight), active: f.active === 'on' });
      rules.reload();
      return `Saved the rule for ${rule.event_type}.`;
    });
  };
  const remove = (rule: Rule) =>
    confirm(`Delete the rule for ${rule.event_type}?`) &&
    action.run(async () => {
      await del(`/rules/${rule.rule_id}`);
      rules.reload();
      return `Deleted the rule for ${rule.event_type}.`;
    });
  const create = (e: Event) => {
    const f = formOf(e);
    const form = e.currentTarget as HTMLFormElement;
    void action.run(async () => {
      await post('/rules', { event_type: f.event_type, weight: Number(f.weight) });
      form.reset();
      rules.reload();
      return `Added a rule for ${f.event_type}.`;
    });
  };
  return (
    <Section title="Rules" id="rules">
      <ErrorNote message={rules.error || action.error} />
      {action.done && <Status>{action.done}</Status>}
      <ul class="rows">
        {rules.data?.map((r) => (
          <li key={r.rule_id}>
            <form class="row" onSubmit={save(r)} aria-label={`Rule ${r.event_type}`} data-rule={r.event_type}>
              <strong>{r.event_type}</strong>
              <label>Weight <input name="weight" type="number" required defaultValue={String(r.weight)} /></label>
              <label class="check"><input name="active" type="checkbox" defaultChecked={r.active} /> Active</label>
              <button type="submit" disabled={action.busy}>Save</button>
              <button type="button" class="secondary" onClick={() => remove(r)} disabled={action.busy}>Delete</button>
            </form>
          </li>
        ))}
      </ul>
      {rules.data?.length === 0 && <p>No rules yet: events score nothing.</p>}
      <form class="row add" onSubmit={create} aria-label="New rule">
        <label>Event type <input name="event_type" required maxLength={128} /></label>
        <label>Weight <input name="weight" type="number" required /></label>
        <button type="submit" disabled={action.busy}>Add rule</button>
      </form>
    </Section>
  );
}

function LevelsEditor() {
  const levels = useLoad(() => get<Level[]>('/levels/engagement'), []);
  const action = useAction();
  const body = (f: Record<string, string>) => ({ name: f.name, min_score: Number(f.min_score), max_score: Number(f.max_score) });
  const save = (level: Level) => (e: Event) => {
    const f = formOf(e);
    void action.run(async () => {
      await put(`/levels/engagement/${level.level_id}`, body(f));
      levels.reload();
      return `Saved level ${f.name}.`;
    });
  };
  const remove = (level: Level) =>
    confirm(`Delete level ${level.name}?`) &&
    action.run(async () => {
      await del(`/levels/engagement/${level.level_id}`);
      levels.reload();
      return `Deleted level ${level.name}.`;
    });
  const create = (e: Event) => {
    const f = formOf(e);
    const form = e.currentTarget as HTMLFormElement;
    void action.run(async () => {
      await post('/levels/engagement', body(f));
      form.reset();
      levels.reload();
      return `Added level ${f.name}.`;
    });
  };
  const fields = (l?: Level) => (
    <>
      <label>Name <input name="name" required maxLength={200} defaultValue={l?.name} /></label>
      <label>From <input name="min_score" type="number" required defaultValue={l ? String(l.min_score) : ''} /></label>
      <label>To <input name="max_score" type="number" required defaultValue={l ? String(l.max_score) : ''} /></label>
    </>
  );
  return (
    <Section title="Engagement levels" id="levels">
      <ErrorNote message={levels.error || action.error} />
      {action.done && <Status>{action.done}</Status>}
      <ul class="rows">
        {levels.data?.map((l) => (
          <li key={l.level_id}>
            <form class="row" onSubmit={save(l)} aria-label={`Level ${l.name}`}>
              {fields(l)}
              <button type="submit" disabled={action.busy}>Save</button>
              <button type="button" class="secondary" onClick={() => remove(l)} disabled={action.busy}>Delete</button>
            </form>
          </li>
        ))}
      </ul>
      <form class="row add" onSubmit={create} aria-label="New level">
        {fields()}
        <button type="submit" disabled={action.busy}>Add level</button>
      </form>
    </Section>
  );
}

function DecaysEditor() {
  const decays = useLoad(() => get<Decay[]>('/decays'), []);
  const action = useAction();
  const body = (f: Record<string, string>) => ({ inactive_for: Number(f.inactive_for), unit: f.unit, decrease: Number(f.decrease) });
  const save = (d: Decay) => (e: Event) => {
    const f = formOf(e);
    void action.run(async () => {
      await put(`/decays/${d.decay_id}`, body(f));
      decays.reload();
      return 'Saved the decay rule.';
    });
  };
  const remove = (d: Decay) =>
    confirm('Delete this decay rule?') &&
    action.run(async () => {
      await del(`/decays/${d.decay_id}`);
      decays.reload();
      return 'Deleted the decay rule.';
    });
  const create = (e: Event) => {
    const f = formOf(e);
    const form = e.currentTarget as HTMLFormElement;
    void action.run(async () => {
      await post('/decays', body(f));
      form.reset();
      decays.reload();
      return 'Added a decay rule.';
    });
  };
  const fields = (d?: Decay) => (
    <>
      <label>After inactive for <input name="inactive_for" type="number" min={1} required defaultValue={d ? String(d.inactive_for) : ''} /></label>
      <label>Unit
        <select name="unit" value={d?.unit ?? 'days'}>
          <option>hours</option><option>days</option><option>weeks</option>
        </select>
      </label>
      <label>Decrease by <input name="decrease" type="number" min={0} required defaultValue={d ? String(d.decrease) : ''} /></label>
    </>
  );
  return (
    <Section title="Decay" id="decays">
      <ErrorNote message={decays.error || action.error} />
      {action.done && <Status>{action.done}</Status>}
      <ul class="rows">
        {decays.data?.map((d) => (
          <li key={d.decay_id}>
            <form class="row" onSubmit={save(d)} aria-label={`Decay after ${d.inactive_for} ${d.unit}`}>
              {fields(d)}
              <button type="submit" disabled={action.busy}>Save</button>
              <button type="button" class="secondary" onClick={() => remove(d)} disabled={action.busy}>Delete</button>
            </form>
          </li>
        ))}
      </ul>
      <form class="row add" onSubmit={create} aria-label="New decay rule">
        {fields()}
        <button type="submit" disabled={action.busy}>Add decay rule</button>
      </form>
    </Section>
  );
}

export function ScoringScreen() {
  return (
    <>
      <h1>Scoring</h1>
      <RulesEditor />
      <LevelsEditor />
      <DecaysEditor />
      <SurgeEditor />
    </>
  );
}
