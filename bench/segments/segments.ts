import { leadListSql } from '../lib/dataset.js';

/** The segments bench/segments/run.ts measures, each with the hand-written SQL of the same answer ($1 org, $2 OU). */
export interface SegmentCase {
  name: string;
  rules: Array<Record<string, unknown>>;
  countSql: string;
  pageSql: string;
}

const hand = leadListSql;

const lead = (field_name: string, operator: string, value: string, extra: Record<string, unknown> = {}) => ({
  rule_type: 'lead_metadata', field_name, operator, value, ...extra,
});

export const SEGMENTS: SegmentCase[] = [
  { name: 'metadata equals (plan = enterprise)', rules: [lead('plan', 'equals', 'enterprise')], ...hand(`l.metadata ->> 'plan' = 'enterprise'`) },
  { name: 'numeric gte (employees ≥ 4500)', rules: [lead('employees', 'gte', '4500')], ...hand(`(l.metadata ->> 'employees')::numeric >= 4500`) },
  { name: 'score gte 150', rules: [lead('score', 'gte', '150')], ...hand('coalesce(s.total_score, 0) >= 150') },
  {
    name: 'event rule (demo_request from linkedin)',
    rules: [{ rule_type: 'event_metadata', event_type: 'demo_request', field_name: 'source', operator: 'equals', value: 'linkedin' }],
    ...hand(`exists (select 1 from events e where e.org_id = l.org_id and e.unit_id = l.unit_id and e.lead_id = l.id
      and e.event_type = 'demo_request' and e.metadata ->> 'source' = 'linkedin')`),
  },
  {
    name: '(plan in pro,enterprise AND country = DE) OR score ≥ 155',
    rules: [
      lead('plan', 'in', 'pro,enterprise', { order_index: 0 }),
      lead('country', 'equals', 'DE', { order_index: 1, logic_op: 'AND' }),
      lead('score', 'gte', '155', { order_index: 2, logic_op: 'OR' }),
    ],
    ...hand(`((l.metadata ->> 'plan' in ('pro', 'enterprise') and l.metadata ->> 'country' = 'DE') or coalesce(s.total_score, 0) >= 155)`),
  },
];
