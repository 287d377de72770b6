import fc from 'fast-check';
import type { Schema } from './spec.js';

/**
 * Values a field of this name may take that exist in the fuzzed tenant (a lead id, an event type,
 * a ruleset id…), so valid requests reach past the 404 into the handler. Undefined: no hint.
 */
export type NamedValues = (field: string, schema: Schema) => string[] | undefined;

const INT_BOUND = 2 ** 31 - 1;
const DATE_MIN = new Date('2000-01-01T00:00:00Z');
const DATE_MAX = new Date('2035-12-31T00:00:00Z');

/** A small JSON value for `{}` schemas (metadata values and the like). */
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.boolean(),
    fc.constant(null),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('value'), { maxKeys: 3 }),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
})).value;

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.properties) return ['object'];
  return [];
}

function validString(schema: Schema, name: string, named: NamedValues): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Math.max(min, 24);
  const fits = (s: string) => s.length >= min && s.length <= max;
  const hinted = named(name, schema)?.filter(fits) ?? [];
  let base: fc.Arbitrary<string>;
  if (schema.format === 'date-time') base = fc.date({ min: DATE_MIN, max: DATE_MAX, noInvalidDate: true }).map((d) => d.toISOString());
  else if (schema.format === 'uuid') base = fc.uuid({ version: 4 });
  else if (schema.format === 'email' || /email/i.test(name)) base = fc.stringMatching(/^[a-z]{1,10}@[a-z]{1,10}\.com$/);
  else if (schema.pattern) base = fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  else base = fc.string({ minLength: min, maxLength: Math.min(max, min + 24) });
  return hinted.length ? fc.oneof({ arbitrary: fc.constantFrom(...hinted), weight: 3 }, { arbitrary: base, weight: 1 }) : base;
}

function validNumber(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const low = Math.max(schema.minimum ?? -INT_BOUND, (schema.exclusiveMinimum ?? -Infinity) + (integer ? 1 : 1e-9), -INT_BOUND);
  const high = Math.min(schema.maximum ?? INT_BOUND, (schema.exclusiveMaximum ?? Infinity) - (integer ? 1 : 1e-9), INT_BOUND);
  if (integer) {
    const min = Math.ceil(low);
    const max = Math.floor(high);
    // The edges are where off-by-one bugs live; small values are what real clients send.
    return fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max: Math.min(max, min + 100) }), fc.integer({ min, max }));
  }
  return fc.oneof(fc.constantFrom(low, high), fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true }));
}

function validObject(schema: Schema, named: NamedValues): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const shape = Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, validValue(sub, named, key)]));
  const known = fc.record(shape, { requiredKeys: Object.keys(properties).filter((k) => required.has(k)) });
  const extra = schema.additionalProperties;
  if (!extra || Object.keys(properties).length > 0) return known;
  const valueArb = extra === true ? anyJson : validValue(extra, named, '');
  const keyArb = schema.propertyNames ? validString(schema.propertyNames, '', named).filter((k) => k.length > 0) : fc.string({ minLength: 1, maxLength: 12 });
  return fc.dictionary(keyArb, valueArb, { maxKeys: 4 });
}

/** Values that satisfy `schema` (as far as JSON Schema says; business rules may still refuse them). */
export function validValue(schema: Schema, named: NamedValues, name = ''): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => validValue(s, named, name)));
  const types = typesOf(schema);
  if (types.length === 0) return anyJson;
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'string':
          return validString(schema, name, named);
        case 'integer':
          return validNumber(schema, true);
        case 'number':
          return validNumber(schema, false);
        case 'boolean':
          return fc.boolean();
        case 'null':
          return fc.constant(null);
        case 'array': {
          const min = schema.minItems ?? 0;
          const max = Math.min(schema.maxItems ?? min + 3, min + 3);
          return fc.array(validValue(schema.items ?? {}, named, name), { minLength: min, maxLength: max });
        }
        case 'object':
          return validObject(schema, named);
        default:
          throw new Error(`the fuzzer does not know JSON Schema type ${type}`);
      }
    }),
  );
}
