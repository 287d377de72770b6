import fc from 'fast-check';
import { bodyCase, validBody, type BodyCase } from './body.js';
import { HOSTILE_PATH_SEGMENTS, HOSTILE_QUERY_VALUES, hostileString, toJsonText, wrongTypes } from './hostile.js';
import { csvUploadCase } from './multipart.js';
import type { Operation, Parameter } from './spec.js';
import { validValue, type NamedValues } from './valid.js';

export type Caller = 'jwt' | 'basic' | 'anonymous';

export interface FuzzRequest {
  /** What was broken (`valid` when nothing was): shown in failure reports. */
  kind: string;
  method: Operation['method'];
  url: string;
  headers: Record<string, string>;
  payload?: string;
  caller: Caller;
}

export interface FuzzContext {
  named: NamedValues;
  /** Existing values for a path parameter of this operation (ids of the seeded tenant). */
  pathValues(op: Operation, param: Parameter): string[];
}

/** encodeURIComponent that also writes lone surrogates (as their WTF-8 bytes) instead of throwing. */
export function encodeLoose(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

function queryText(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(queryText);
  if (value === null || value === undefined) return [];
  return [typeof value === 'object' ? JSON.stringify(value) : String(value)];
}

export type Pairs = Array<[string, string]>;

function validQuery(op: Operation, ctx: FuzzContext): fc.Arbitrary<Pairs> {
  const perParam = op.query.map((p) => {
    const value = validValue(p.schema, ctx.named, p.name).map((v) => queryText(v).map((t): [string, string] => [p.name, encodeLoose(t)]));
    return p.required ? value : fc.option(value, { nil: [] as Pairs });
  });
  return fc.tuple(...perParam).map((lists) => lists.flat());
}

/** One query parameter broken: out of range, wrong type, repeated, hostile, missing, or unknown. */
function brokenQuery(op: Operation, ctx: FuzzContext): fc.Arbitrary<{ kind: string; pairs: Pairs }> {
  const names = [...op.query.map((p) => p.name), 'unknown_param'];
  return fc.tuple(validQuery(op, ctx), fc.constantFrom(...names), fc.nat()).chain(([pairs, name, n]) => {
    const param = op.query.find((p) => p.name === name);
    const others = pairs.filter(([k]) => k !== name);
    const wrong = [...HOSTILE_QUERY_VALUES, ...(param ? wrongTypes(param.schema).flatMap(queryText) : [])];
    const cases: Array<fc.Arbitrary<{ kind: string; pairs: Pairs }>> = [
      fc.constantFrom(...wrong).map((v) => ({ kind: `query-bad-${name}`, pairs: [...others, [name, encodeLoose(v)] as [string, string]] })),
      hostileString.map((v) => ({ kind: `query-hostile-${name}`, pairs: [...others, [name, encodeLoose(v)] as [string, string]] })),
      fc.constant({ kind: `query-repeated-${name}`, pairs: [...others, [name, '1'], [name, '2'], [`${name}[]`, 'x']] as Pairs }),
    ];
    if (param?.required && n % 2 === 0) cases.push(fc.constant({ kind: `query-missing-${name}`, pairs: others }));
    return fc.oneof(...cases);
  });
}

function pathArb(op: Operation, ctx: FuzzContext, broken: boolean): fc.Arbitrary<Record<string, string>> {
  const shape = Object.fromEntries(
    op.pathParams.map((p) => {
      const existing = ctx.pathValues(op, p).map(encodeLoose);
      if (existing.length === 0) throw new Error(`${op.id}: no existing value for path parameter {${p.name}}; add one to the tenant's pools`);
      const valid = fc.constantFrom(...existing);
      if (!broken) return [p.name, valid];
      return [
        p.name,
        fc.oneof(
          { arbitrary: fc.constantFrom(...HOSTILE_PATH_SEGMENTS), weight: 3 },
          { arbitrary: hostileString.map(encodeLoose), weight: 2 },
          { arbitrary: fc.uuid({ version: 4 }), weight: 1 },
          { arbitrary: valid.map((v) => v.toUpperCase()), weight: 1 },
        ),
      ];
    }),
  );
  return fc.record(shape);
}

function urlOf(op: Operation, path: Record<string, string>, pairs: Pairs): string {
  const filled = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => path[name] ?? '');
  return pairs.length ? `${filled}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&')}` : filled;
}

/** Content-type mistakes: another type, a form, no body, text that is not JSON, an empty body. */
const WRONG_CONTENT: Array<{ kind: string; headers: Record<string, string>; payload?: string }> = [
  { kind: 'content-text-plain', headers: { 'content-type': 'text/plain' }, payload: '{"name":"x"}' },
  { kind: 'content-form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x&event_type=visit' },
  { kind: 'content-xml', headers: { 'content-type': 'application/xml' }, payload: '<a>1</a>' },
  { kind: 'content-none', headers: {} },
  { kind: 'content-json-no-body', headers: { 'content-type': 'application/json' } },
  { kind: 'content-invalid-json', headers: { 'content-type': 'application/json' }, payload: '{"name": "x",' },
  { kind: 'content-invalid-json-2', headers: { 'content-type': 'application/json' }, payload: "{'name': 'x'}" },
  { kind: 'content-empty-json', headers: { 'content-type': 'application/json' }, payload: '{}' },
  { kind: 'content-empty-string', headers: { 'content-type': 'application/json' }, payload: '' },
  { kind: 'content-json-charset-latin1', headers: { 'content-type': 'application/json; charset=latin1' }, payload: '{"name":"\u00e9"}' },
  { kind: 'content-duplicate-keys', headers: { 'content-type': 'application/json' }, payload: '{"name":"a","name":1}' },
];

function jsonBody(c: BodyCase): { kind: string; headers: Record<string, string>; payload: string } {
  return { kind: c.kind, headers: { 'content-type': 'application/json' }, payload: c.text };
}

export type BodyPart = { kind: string; headers: Record<string, string>; payload?: string };

/** The body part of a request: valid, or broken per the operation's content type, or the wrong content type. */
function bodyArb(op: Operation, ctx: FuzzContext, broken: boolean): fc.Arbitrary<BodyPart> {
  if (!op.body) {
    if (!broken) return fc.constant({ kind: 'valid', headers: {} });
    // A body where none is expected must be ignored or refused, never crash.
    return fc.oneof(
      fc.constantFrom(...WRONG_CONTENT),
      hostileString.map((s) => ({ kind: 'unexpected-json-body', headers: { 'content-type': 'application/json' }, payload: toJsonText({ s }) })),
    );
  }
  const own =
    op.body.contentType === 'multipart/form-data'
      ? csvUploadCase(ctx.named, broken)
      : (broken ? bodyCase(op.body.schema, ctx.named) : validBody(op.body.schema, ctx.named)).map(jsonBody);
  return broken ? fc.oneof({ arbitrary: own, weight: 6 }, { arbitrary: fc.constantFrom(...WRONG_CONTENT), weight: 1 }) : own;
}

function callers(op: Operation): fc.Arbitrary<Caller> {
  if (op.auth === 'none') return fc.constant('anonymous');
  const authenticated: Caller[] = op.auth === 'any' ? ['jwt', 'basic'] : ['jwt'];
  return fc.oneof({ arbitrary: fc.constantFrom(...authenticated), weight: 12 }, { arbitrary: fc.constant<Caller>('anonymous'), weight: 1 });
}

/**
 * Requests for one operation: mostly one broken part (path, query, body or content type) on an
 * otherwise valid request, sometimes a fully valid one so the accepting branch runs too.
 */
export function requestArb(op: Operation, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const part = op.pathParams.length ? fc.constantFrom('path', 'query', 'body') : fc.constantFrom('query', 'body');
  return fc.tuple(part, callers(op)).chain(([broken, caller]) =>
    fc
      .tuple(
        pathArb(op, ctx, broken === 'path'),
        broken === 'query' ? brokenQuery(op, ctx) : validQuery(op, ctx).map((pairs) => ({ kind: 'valid', pairs })),
        bodyArb(op, ctx, broken === 'body'),
      )
      .map(([path, query, body]) => ({
        kind: broken === 'path' ? 'path' : query.kind !== 'valid' ? query.kind : body.kind,
        method: op.method,
        url: urlOf(op, path, query.pairs),
        headers: body.headers,
        ...(body.payload !== undefined ? { payload: body.payload } : {}),
        caller,
      })),
  );
}

/** The parts of a fully valid request, for the catalog to break one at a time. */
export function validParts(op: Operation, ctx: FuzzContext): fc.Arbitrary<{ path: Record<string, string>; pairs: Pairs; body: BodyPart }> {
  return fc.record({ path: pathArb(op, ctx, false), pairs: validQuery(op, ctx), body: bodyArb(op, ctx, false) });
}

export { queryText, urlOf, WRONG_CONTENT };
