import fc from 'fast-check';
import { topLevelFields } from './body.js';
import { deepObject, HOSTILE_STRINGS, toJsonText, wrongTypes } from './hostile.js';
import { queryText, urlOf, validParts, WRONG_CONTENT, type BodyPart, type Caller, type FuzzContext, type FuzzRequest, type Pairs } from './requests.js';
import type { Operation } from './spec.js';

/** Path values every path parameter gets: not a UUID, NUL, a lone surrogate, absent, too long. */
const CATALOG_SEGMENTS = ['not-a-uuid', '%00', '%ED%A0%80', '00000000-0000-4000-8000-000000000000', 'a'.repeat(600)];
/** Query values every query parameter gets, plus a repeat (an array) of it. */
const CATALOG_QUERY = ['0', '-1', '1e12', '1e400', 'abc'];

/**
 * The deterministic part of the fuzzing: one valid request per caller, then the same request with
 * exactly one thing broken, for every body field (a wrong type, a hostile string, missing when
 * required), every query and path parameter, and every content-type mistake. Random runs follow.
 */
export function catalog(op: Operation, ctx: FuzzContext, seed: number): FuzzRequest[] {
  const [base] = fc.sample(validParts(op, ctx), { numRuns: 1, seed });
  if (!base) throw new Error(`${op.id}: no valid request could be generated`);
  const callers: Caller[] = op.auth === 'none' ? ['anonymous'] : op.auth === 'any' ? ['jwt', 'basic'] : ['jwt'];
  const make = (kind: string, parts: { path?: Record<string, string>; pairs?: Pairs; body?: BodyPart }, caller: Caller = callers[0] ?? 'jwt'): FuzzRequest => {
    const body = parts.body ?? base.body;
    return {
      kind,
      method: op.method,
      url: urlOf(op, parts.path ?? base.path, parts.pairs ?? base.pairs),
      headers: body.headers,
      ...(body.payload !== undefined ? { payload: body.payload } : {}),
      caller,
    };
  };
  const requests = callers.map((caller) => make('valid', {}, caller));
  requests.push(...bodyCases(op, base.body).map((b) => make(b.kind, { body: b })));
  for (const param of op.query) {
    const others = base.pairs.filter(([k]) => k !== param.name);
    for (const value of [...CATALOG_QUERY, ...wrongTypes(param.schema).flatMap(queryText).slice(0, 2)]) {
      requests.push(make(`query-${param.name}=${value}`, { pairs: [...others, [param.name, encodeURIComponent(value)]] }));
    }
    requests.push(make(`query-${param.name}-repeated`, { pairs: [...others, [param.name, '1'], [param.name, '2']] }));
    if (param.required) requests.push(make(`query-${param.name}-missing`, { pairs: others }));
  }
  requests.push(make('query-unknown', { pairs: [...base.pairs, ['unknown_param', '%27%20or%201%3D1%20--']] }));
  for (const param of op.pathParams) {
    for (const segment of CATALOG_SEGMENTS) requests.push(make(`path-${param.name}=${segment.slice(0, 20)}`, { path: { ...base.path, [param.name]: segment } }));
  }
  return requests;
}

/** One broken body per top-level field and mistake, plus every content-type mistake. */
function bodyCases(op: Operation, valid: BodyPart): BodyPart[] {
  if (!op.body) return [{ kind: 'unexpected-body', headers: { 'content-type': 'application/json' }, payload: '{"x":1}' }];
  if (op.body.contentType !== 'application/json' || !valid.payload) return WRONG_CONTENT;
  const json = { 'content-type': 'application/json' };
  const base = JSON.parse(valid.payload) as Record<string, unknown>;
  const cases: BodyPart[] = [];
  topLevelFields(op.body.schema).forEach((field, i) => {
    const wrong = wrongTypes(field.schema)[0] ?? deepObject();
    cases.push({ kind: `body-${field.name}-wrong-type`, headers: json, payload: toJsonText({ ...base, [field.name]: wrong }) });
    const hostile = HOSTILE_STRINGS[i % HOSTILE_STRINGS.length];
    cases.push({ kind: `body-${field.name}-hostile`, headers: json, payload: toJsonText({ ...base, [field.name]: hostile }) });
    if (field.required) {
      const { [field.name]: _dropped, ...rest } = base;
      cases.push({ kind: `body-${field.name}-missing`, headers: json, payload: toJsonText(rest) });
    }
  });
  cases.push({ kind: 'body-deep', headers: json, payload: toJsonText({ ...base, nested: deepObject() }) });
  cases.push({ kind: 'body-array', headers: json, payload: '[]' });
  return [...cases, ...WRONG_CONTENT];
}
