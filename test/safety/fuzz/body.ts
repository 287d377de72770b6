import fc from 'fast-check';
import { deepObject, hostileNumber, hostileString, toJsonText, wrongValue } from './hostile.js';
import type { Schema } from './spec.js';
import { validValue, type NamedValues } from './valid.js';

type Path = Array<string | number>;

interface Field {
  path: Path;
  schema: Schema;
}

/** The schema a child of `schema` follows (first matching alternative for anyOf: close enough to pick wrong values). */
function childSchema(schema: Schema, key: string | number): Schema {
  const alternatives = schema.anyOf ?? schema.oneOf ?? [];
  const candidates = [schema, ...alternatives];
  for (const s of candidates) {
    if (typeof key === 'number' && s.items) return s.items;
    if (typeof key === 'string' && s.properties?.[key]) return s.properties[key];
    if (typeof key === 'string' && typeof s.additionalProperties === 'object') return s.additionalProperties;
  }
  return {};
}

/** Every value position in a body (root included), with the schema that governs it. */
export function fieldsOf(value: unknown, schema: Schema, path: Path = []): Field[] {
  const fields: Field[] = [{ path, schema }];
  if (Array.isArray(value)) value.forEach((item, i) => fields.push(...fieldsOf(item, childSchema(schema, i), [...path, i])));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) fields.push(...fieldsOf(item, childSchema(schema, key), [...path, key]));
  }
  return fields;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** `root` with the value at `path` replaced (path [] replaces the root). */
export function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

function deleteAt(root: unknown, path: Path, key: string): unknown {
  const copy = clone(root) as Record<string, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const k of path) node = node[k] as Record<string | number, unknown>;
  delete node[key];
  return copy;
}

export interface BodyCase {
  kind: string;
  /** JSON text to send. */
  text: string;
}

const pick = <T>(items: T[], n: number): T | undefined => (items.length ? items[n % items.length] : undefined);

const EXTRA_KEYS = ['unit_id', 'org_id', 'id', '__proto__', 'constructor', 'is_admin', 'role', 'x'.repeat(300), "'; drop table leads; --"];

/** Mutations of one valid body: a field missing, of the wrong type, hostile, nested too deep, or extra keys. */
function mutate(body: unknown, schema: Schema, n: number, replacement: unknown, kind: string): BodyCase {
  const fields = fieldsOf(body, schema);
  switch (kind) {
    case 'body-missing-required': {
      const holders = fields.filter((f) => (f.schema.required?.length ?? 0) > 0);
      const holder = pick(holders, n);
      const key = holder ? pick(holder.schema.required ?? [], n >> 4) : undefined;
      if (!holder || !key) return { kind, text: toJsonText({}) };
      return { kind, text: toJsonText(deleteAt(body, holder.path, key)) };
    }
    case 'body-extra-field': {
      const objects = fields.filter((f) => f.schema.properties || f.path.length === 0);
      const at = pick(objects, n)?.path ?? [];
      const key = pick(EXTRA_KEYS, n >> 4) ?? 'extra';
      const target = at.reduce<unknown>((node, k) => (node as Record<string | number, unknown> | undefined)?.[k], body);
      if (!target || typeof target !== 'object' || Array.isArray(target)) return { kind, text: toJsonText(body) };
      // JSON text, not an object: a `__proto__` key must reach the server as a key.
      const inner = toJsonText(target).replace(/^\{/, `{${JSON.stringify(key)}:${toJsonText(replacement)}${Object.keys(target).length ? ',' : ''}`);
      return { kind, text: at.length ? toJsonText(setAt(body, at, '\u0002')).replace('"\\u0002"', inner) : inner };
    }
    default: {
      const field = pick(fields.slice(1), n) ?? fields[0];
      return { kind, text: toJsonText(setAt(body, field?.path ?? [], replacement)) };
    }
  }
}

/** A body that satisfies its schema (business rules may still refuse it). */
export function validBody(schema: Schema, named: NamedValues): fc.Arbitrary<BodyCase> {
  return validValue(schema, named).map((body) => ({ kind: 'valid', text: toJsonText(body) }));
}

/** A valid body, or one mutated so that it breaks its schema somewhere. */
export function bodyCase(schema: Schema, named: NamedValues): fc.Arbitrary<BodyCase> {
  const valid = validValue(schema, named);
  const mutated = (kind: string, replacement: (schema: Schema) => fc.Arbitrary<unknown>) =>
    fc
      .tuple(valid, fc.nat())
      .chain(([body, n]) => {
        const fields = fieldsOf(body, schema);
        const target = pick(fields.slice(1), n) ?? fields[0];
        return replacement(target?.schema ?? {}).map((value) => mutate(body, schema, n, value, kind));
      });
  return fc.oneof(
    { arbitrary: validBody(schema, named), weight: 2 },
    { arbitrary: mutated('body-missing-required', () => fc.constant(null)), weight: 2 },
    { arbitrary: mutated('body-wrong-value', wrongValue), weight: 4 },
    { arbitrary: mutated('body-hostile-string', () => hostileString), weight: 2 },
    { arbitrary: mutated('body-hostile-number', () => hostileNumber), weight: 2 },
    { arbitrary: mutated('body-deep-nesting', () => fc.constant(deepObject())), weight: 1 },
    { arbitrary: mutated('body-extra-field', () => fc.oneof(hostileString, fc.constant(deepObject()), fc.constant(1))), weight: 2 },
    { arbitrary: fc.constantFrom([], 'text', 42, null, true, deepObject()).map((v) => ({ kind: 'body-whole-wrong', text: toJsonText(v) })), weight: 1 },
  );
}

/** The top-level field names of a body schema (for the catalog's per-field cases). */
export function topLevelFields(schema: Schema): Array<{ name: string; schema: Schema; required: boolean }> {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, sub]) => ({ name, schema: sub, required: required.has(name) }));
}
