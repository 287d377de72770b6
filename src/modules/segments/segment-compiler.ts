import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { LogicOp, SegmentRuleType } from '../../db/types.js';
import type { Operator } from './segments.schemas.js';

/** What a rule needs of a segment rule row. */
export interface CompilableRule {
  rule_type: SegmentRuleType;
  field_name: string;
  operator: string;
  value: string | null;
  event_type: string | null;
  logic_group: number;
  logic_op: LogicOp;
}

/**
 * The lead columns a segment can test (semantics §6), as expressions of the query that lists the
 * leads: the scores module owns that query and hands these in.
 */
export interface LeadRefs {
  metadata: Expression<unknown>;
  score: Expression<number>;
  level: Expression<string | null>;
  createdAt: Expression<Date>;
  lastEventAt: Expression<Date | null>;
  accountId: Expression<string | null>;
  /** `exists` one of the lead's events (of `eventType` when given) whose metadata passes `test`. */
  hasEvent(eventType: string | null, path: string, test: (metadata: Expression<unknown>) => RawBuilder<SqlBool>): RawBuilder<SqlBool>;
}

/** A compared value: its text, and its number and time when it has them (else NULL). */
interface Field {
  text: RawBuilder<string | null>;
  num: RawBuilder<number | null>;
  time: RawBuilder<Date | null> | null;
}

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?\s*$/;
const NUMERIC_SQL = '^\\s*-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d{1,3})?\\s*$';
const DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i;
const ISO_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

function timeField(t: Expression<Date | null>): Field {
  return { text: sql`to_char(${t} at time zone 'UTC', ${ISO_FORMAT})`, num: sql`null::numeric`, time: sql`${t}` };
}

/**
 * A metadata value at a dotted path: numbers are JSON numbers and numeric strings ("250"). The
 * JSON type picks the cast, so the regular expression only runs on strings.
 */
function metadataField(metadata: Expression<unknown>, path: string): Field {
  const parts = path.split('.');
  const json = sql`(${metadata} #> ${parts}::text[])`;
  const text = sql<string | null>`(${metadata} #>> ${parts}::text[])`;
  const num = sql<number | null>`(case jsonb_typeof(${json}) when 'number' then ${json}::numeric
    when 'string' then case when ${text} ~ ${NUMERIC_SQL} then ${text}::numeric end end)`;
  return { text, num, time: null };
}

function leadField(refs: LeadRefs, name: string): Field {
  switch (name) {
    case 'score':
      return { text: sql`${refs.score}::text`, num: sql`${refs.score}::numeric`, time: null };
    case 'level':
      return { text: sql`${refs.level}`, num: sql`null::numeric`, time: null };
    case 'created_at':
      return timeField(refs.createdAt);
    case 'last_event_at':
      return timeField(refs.lastEventAt);
    case 'account_id':
      return { text: sql`${refs.accountId}`, num: sql`null::numeric`, time: null };
    default:
      return metadataField(refs.metadata, name);
  }
}

function ordered(f: Field, op: '>' | '>=' | '<' | '<=', value: string): RawBuilder<SqlBool> {
  const cmp = sql.raw(op);
  const text = sql<SqlBool>`(${f.text} collate "C" ${cmp} ${value} collate "C")`;
  if (f.time && DATE.test(value) && !Number.isNaN(Date.parse(value))) {
    const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    return sql`(${f.time} ${cmp} ${at})`;
  }
  if (!NUMERIC.test(value)) return text;
  // A number compares as a number, anything else as text: the text side only counts when num is NULL.
  return sql`coalesce(${f.num} ${cmp} ${value}::numeric, ${text})`;
}

function equals(f: Field, value: string): RawBuilder<SqlBool> {
  if (f.time && DATE.test(value) && !Number.isNaN(Date.parse(value))) {
    const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    return sql`(${f.time} = ${at})`;
  }
  if (!NUMERIC.test(value)) return sql`(${f.text} = ${value})`;
  return sql`coalesce(${f.num} = ${value}::numeric, ${f.text} = ${value})`;
}

function oneOf(f: Field, value: string): RawBuilder<SqlBool> {
  const values = value.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
  const numbers = values.filter((v) => NUMERIC.test(v));
  const asText = sql<SqlBool>`(${f.text} = any(${values}::text[]))`;
  return numbers.length === 0 ? asText : sql`(${asText} or ${f.num} = any(${numbers}::numeric[]))`;
}

/**
 * One rule's test of one field. A positive test of a missing field is NULL, which every place a
 * segment predicate goes (WHERE, AND, OR) reads as false; it stays bare, so the planner can
 * estimate it. The negations are true for a missing field, so they coalesce before NOT.
 */
function test(f: Field, operator: Operator, value: string): RawBuilder<SqlBool> {
  const not = (e: RawBuilder<SqlBool>) => sql<SqlBool>`not coalesce(${e}, false)`;
  switch (operator) {
    case 'exists': return sql`(${f.text} is not null)`;
    case 'not_exists': return sql`(${f.text} is null)`;
    case 'equals': return equals(f, value);
    case 'not_equals': return not(equals(f, value));
    case 'contains': return sql`(strpos(${f.text}, ${value}) > 0)`;
    case 'not_contains': return not(sql`strpos(${f.text}, ${value}) > 0`);
    case 'starts_with': return sql`(left(${f.text}, length(${value})) = ${value})`;
    case 'ends_with': return sql`(right(${f.text}, length(${value})) = ${value})`;
    case 'gt': return ordered(f, '>', value);
    case 'gte': return ordered(f, '>=', value);
    case 'lt': return ordered(f, '<', value);
    case 'lte': return ordered(f, '<=', value);
    case 'in': return oneOf(f, value);
  }
}

function compileRule(rule: CompilableRule, refs: LeadRefs): RawBuilder<SqlBool> {
  const operator = rule.operator as Operator;
  const value = rule.value ?? '';
  if (rule.rule_type === 'lead_metadata') return test(leadField(refs, rule.field_name), operator, value);
  return refs.hasEvent(rule.event_type, rule.field_name, (metadata) => test(metadataField(metadata, rule.field_name), operator, value));
}

const joinAll = (parts: RawBuilder<SqlBool>[], op: 'and' | 'or') => sql<SqlBool>`(${sql.join(parts, sql.raw(` ${op} `))})`;

/**
 * A segment as one boolean SQL expression: groups ANDed; in a group, rules (already in
 * `order_index` order) joined by their own `logic_op`, AND binding tighter than OR. No rule → false.
 * Values and field paths are parameters: nothing a client sends reaches the SQL text.
 */
export function compileSegment(rules: CompilableRule[], refs: LeadRefs): RawBuilder<SqlBool> {
  if (rules.length === 0) return sql<SqlBool>`false`;
  const groups = new Map<number, CompilableRule[]>();
  for (const rule of rules) groups.set(rule.logic_group, [...(groups.get(rule.logic_group) ?? []), rule]);
  const compiled = [...groups.values()].map((group) => {
    const terms: RawBuilder<SqlBool>[][] = [];
    group.forEach((rule, i) => {
      if (i === 0 || rule.logic_op === 'OR') terms.push([]);
      terms[terms.length - 1]?.push(compileRule(rule, refs));
    });
    return joinAll(terms.map((t) => joinAll(t, 'and')), 'or');
  });
  return joinAll(compiled, 'and');
}

/**
 * One condition on a metadata value at a dotted path, with the segment operators (semantics §6):
 * profile and account rules (semantics §5) test lead and account metadata with it, so both kinds
 * of rules compare values exactly as segments do.
 */
export function metadataCondition(metadata: Expression<unknown>, path: string, operator: Operator, value: string): RawBuilder<SqlBool> {
  return test(metadataField(metadata, path), operator, value);
}
