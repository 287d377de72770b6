import type { Generated } from './common.js';

export type UsageMetric = 'events' | 'leads' | 'api_calls' | 'api_writes';

/** Append-only month-to-date usage deltas (migrations/0050), folded by a periodic compaction. */
export interface UsageCountersTable {
  org_id: string;
  id: Generated<number>;
  unit_id: string | null;
  month: string;
  metric: UsageMetric;
  n: number;
}

export interface UsageTables {
  usage_counters: UsageCountersTable;
}
