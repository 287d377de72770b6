import { sql, type Expression, type RawBuilder } from 'kysely';
import { metadataCondition } from '../segments/segment-compiler.js';
import type { Operator } from '../segments/segments.schemas.js';
import type { RuleRow } from './property-scoring.schemas.js';

/**
 * A profile or account score as one SQL expression over a metadata column: the sum of the weights
 * of the rules whose condition holds (semantics §5), each condition compiled by the segment
 * compiler, so rules compare exactly as segments do. Values and paths are parameters. No rule → 0.
 */
export function propertyScore(metadata: Expression<unknown>, rules: RuleRow[]): RawBuilder<number> {
  if (rules.length === 0) return sql<number>`0`;
  const terms = rules.map(
    (r) => sql`(case when ${metadataCondition(metadata, r.property, r.condition as Operator, r.comparison_value)} then ${r.weight}::int else 0 end)`,
  );
  return sql<number>`(${sql.join(terms, sql` + `)})::int`;
}
