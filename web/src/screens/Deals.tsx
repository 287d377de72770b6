import { get } from '../api';
import { CallState, ObjectView, RowsTable, rowsOf } from '../ui/ApiView';
import { Section } from '../ui/bits';
import { useLoad } from '../ui/hooks';

/** Deals and attribution insights across closed-won deals (routes.md "Deals and attribution"). */
export function DealsScreen() {
  const insights = useLoad(() => get<Record<string, unknown>>('/deals/attribution-insights'), []);
  const deals = useLoad(() => get<unknown>('/deals', { limit: 50 }), []);
  return (
    <>
      <h1>Deals</h1>
      <Section title="Attribution insights" id="attribution">
        <CallState call={insights} route="GET /deals/attribution-insights">{(d) => <ObjectView value={d} />}</CallState>
      </Section>
      <Section title="Deals" id="deals">
        <CallState call={deals} route="GET /deals">{(d) => <RowsTable rows={rowsOf(d)} />}</CallState>
      </Section>
    </>
  );
}
