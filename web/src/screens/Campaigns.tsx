import { useMemo, useState } from 'preact/hooks';
import { get } from '../api';
import { CallState, RowsTable, rowsOf } from '../ui/ApiView';
import { BarChart } from '../ui/BarChart';
import { Section } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import type { CampaignRow as Campaign } from '../types';

const METRICS = [
  ['total_points', 'Points'],
  ['unique_leads', 'Leads'],
  ['mql_count', 'MQLs'],
  ['total_events', 'Events'],
  ['pipeline_value', 'Pipeline value'],
  ['closed_won_value', 'Closed-won value'],
] as const;
type Metric = (typeof METRICS)[number][0];
/** The chart shows the top campaigns by the chosen metric; the table lists them all. */
const CHARTED = 12;

function CampaignChart({ campaigns }: { campaigns: Campaign[] }) {
  const [metric, setMetric] = useState<Metric>('total_points');
  const label = METRICS.find(([m]) => m === metric)?.[1] ?? metric;
  const bars = useMemo(
    () => [...campaigns].sort((a, b) => b[metric] - a[metric]).slice(0, CHARTED).map((c) => ({ label: c.name, value: c[metric] })),
    [campaigns, metric],
  );
  return (
    <>
      <label class="inline-label">
        Chart
        <select value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value as Metric)}>
          {METRICS.map(([m, l]) => <option key={m} value={m}>{l}</option>)}
        </select>
      </label>
      <BarChart bars={bars} label={label} />
    </>
  );
}

/** UTM campaign performance (GET /analytics/campaigns, seed 001): a chart of the top campaigns and the table. */
export function CampaignsScreen() {
  const campaigns = useLoad(() => get<{ campaigns: Campaign[] }>('/analytics/campaigns'), []);
  return (
    <>
      <h1>Campaigns</h1>
      <Section title="Campaign performance" id="campaigns">
        <CallState call={campaigns} route="GET /analytics/campaigns">
          {(d) => (
            <>
              <CampaignChart campaigns={d.campaigns} />
              <RowsTable rows={rowsOf(d)} />
            </>
          )}
        </CallState>
      </Section>
    </>
  );
}
