import { get, put } from '../api';
import type { SurgePolicy } from '../types';
import { ErrorNote, Section, Status } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

/** "3:1.5, 6:2" ⇄ bands; only the custom mode takes bands. */
const bandsText = (p: SurgePolicy) => p.bands.map((b) => `${b.min_events}:${b.multiplier}`).join(', ');
function parseBands(text: string) {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [min, mult] = s.split(':');
      return { min_events: Number(min), multiplier: Number(mult) };
    });
}

/** GET/PUT /settings/ou/surge-policy. */
export function SurgeEditor() {
  const policy = useLoad(() => get<SurgePolicy>('/settings/ou/surge-policy'), []);
  const action = useAction();
  const save = (e: Event) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as Record<string, string>;
    void action.run(async () => {
      const body: Record<string, unknown> = {
        mode: f.mode,
        idle_reset_seconds: Number(f.idle_reset_seconds),
        multiplier_cap: Number(f.multiplier_cap),
      };
      if (f.mode === 'custom') body.bands = parseBands(f.bands ?? '');
      policy.setData(() => undefined);
      await put('/settings/ou/surge-policy', body).finally(policy.reload);
      return 'Saved the surge policy.';
    });
  };
  const p = policy.data;
  return (
    <Section title="Surge" id="surge">
      <ErrorNote message={policy.error || action.error} />
      {action.done && <Status>{action.done}</Status>}
      {p && (
        <form class="row" onSubmit={save} aria-label="Surge policy">
          <label>Mode
            <select name="mode" value={p.mode}>
              <option value="off">off</option><option value="standard">standard</option>
              <option value="gentle">gentle</option><option value="custom">custom</option>
            </select>
          </label>
          <label>Session idle reset (s) <input name="idle_reset_seconds" type="number" min={1} required defaultValue={String(p.idle_reset_seconds)} /></label>
          <label>Multiplier cap <input name="multiplier_cap" type="number" step="0.1" min={1} max={3} required defaultValue={String(p.multiplier_cap)} /></label>
          <label class="wide">Bands (custom mode; events:multiplier, …) <input name="bands" defaultValue={bandsText(p)} /></label>
          <button type="submit" disabled={action.busy}>Save surge policy</button>
        </form>
      )}
    </Section>
  );
}
