import type { CreatedAt, DefaultedTimestamp, Generated } from './common.js';

export type SegmentRuleType = 'lead_metadata' | 'event_metadata';
export type LogicOp = 'AND' | 'OR';

export interface SegmentsTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  name: string;
  description: string | null;
  active: Generated<boolean>;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface SegmentRulesTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  segment_id: string;
  rule_name: string | null;
  rule_type: SegmentRuleType;
  field_name: string;
  operator: string;
  value: string | null;
  event_type: string | null;
  logic_group: Generated<number>;
  logic_op: Generated<LogicOp>;
  order_index: Generated<number>;
  active: Generated<boolean>;
  created_by: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface SegmentsTables {
  segments: SegmentsTable;
  segment_rules: SegmentRulesTable;
}
