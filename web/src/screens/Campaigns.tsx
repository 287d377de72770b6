import { get } from '../api';
import { CallState, RowsTable, rowsOf } from '../ui/ApiView';
import { Section } from '../ui/bits';
import { useLoad } from '../ui/hooks';

/** UTM campaign performance (GET /analytics/campaigns, seed 001). */
export function CampaignsScreen() {
  const campaigns = useLoad(() => get<unknown>('/analytics/campaigns'), []);
  return (
    <>
      <h1>Campaigns</h1>
      <Section title="Campaign performance" id="campaigns">
        <CallState call={campaigns} route="GET /analytics/campaigns">{(d) => <RowsTable rows={rowsOf(d)} />}</CallState>
      </Section>
    </>
  );
}
