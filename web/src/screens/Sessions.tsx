import { useState } from 'preact/hooks';
import { post } from '../api';
import { CallState, ObjectView } from '../ui/ApiView';
import { Section } from '../ui/bits';
import { useLoad } from '../ui/hooks';

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Session attribution insights (POST /api/v1/insights, seed 002) over a date window. */
export function SessionsScreen() {
  const [window, setWindow] = useState({ start_date: day(new Date(Date.now() - 30 * 86_400_000)), end_date: day(new Date()) });
  const insights = useLoad(() => post<Record<string, unknown>>('/api/v1/insights', window), [window]);
  const apply = (e: Event) => {
    e.preventDefault();
    setWindow(Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as typeof window);
  };
  return (
    <>
      <h1>Session insights</h1>
      <form class="row card" onSubmit={apply} aria-label="Insights window">
        <label>From <input name="start_date" type="date" required defaultValue={window.start_date} /></label>
        <label>To <input name="end_date" type="date" required defaultValue={window.end_date} /></label>
        <button type="submit">Show</button>
      </form>
      <Section title="Insights" id="insights">
        <CallState call={insights} route="POST /api/v1/insights">{(d) => <ObjectView value={d} />}</CallState>
      </Section>
    </>
  );
}
