import type { ColumnType } from 'kysely';
import type { CreatedAt, DefaultedJson, DefaultedTimestamp, Generated, Timestamp } from './common.js';

export type Milestone = 'mql' | 'sql' | 'opportunity' | 'close';

/** migrations/0046. `milestone` is generated from `stage`; `amount` is numeric, read as a number. */
export interface DealsTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  name: string;
  stage: string;
  milestone: ColumnType<Milestone | null, never, never>;
  amount: ColumnType<number, number | string, number | string>;
  account_id: string | null;
  closed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
  /** 'seed' for a deal made by POST /admin/seed (migrations/0053), else null. */
  source: string | null;
}

export interface DealContactsTable {
  org_id: string;
  unit_id: string;
  deal_id: string;
  lead_id: string;
  created_at: CreatedAt;
}

export interface DealMilestoneScoresTable {
  org_id: string;
  unit_id: string;
  deal_id: string;
  lead_id: string;
  milestone: Milestone;
  score: number;
  recorded_at: CreatedAt;
}

/** migrations/0047: never scored; the activity stream shows them as synthetic items. */
export interface OrdersTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  lead_id: string;
  order_id: string | null;
  amount: ColumnType<number, number | string, number | string>;
  currency: string;
  occurred_at: Timestamp;
  metadata: DefaultedJson;
  created_at: CreatedAt;
}

export interface DealsTables {
  deals: DealsTable;
  deal_contacts: DealContactsTable;
  deal_milestone_scores: DealMilestoneScoresTable;
  orders: OrdersTable;
}
