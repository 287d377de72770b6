import type { FastifyInstance } from 'fastify';
import { AppError, type ErrorDetail } from './errors.js';

declare global {
  interface String {
    /** ES2024, in Node ≥ 20; false when the string holds a lone UTF-16 surrogate. */
    isWellFormed(): boolean;
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'per-item': the route checks its body's items itself, so one bad item fails alone (POST /events/batch). */
    storableBody?: 'per-item';
  }
}

/**
 * How deep a JSON body (or one batch item, or one CSV row) may nest objects and arrays below its
 * top level. An event's metadata object is level 1, so metadata nests at most this many levels.
 */
export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NUL_OR_LONE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');

/** Why PostgreSQL cannot store this string (text and jsonb refuse NUL; UTF-8 has no lone surrogate). */
function stringProblem(value: string): string | null {
  // Both checks are native and allocate nothing: the common (clean) string costs two scans.
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (!value.isWellFormed()) return 'contains a lone UTF-16 surrogate, which is not valid Unicode';
  return null;
}

/** A path segment as text; characters that cannot be shown are written as \uXXXX escapes. */
function printable(segment: string): string {
  return segment.replace(NUL_OR_LONE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Path = Array<string | number>;

function detail(path: Path, message: string): ErrorDetail {
  return { field: path.map((segment) => printable(String(segment))).join('.'), message };
}

function walk(value: unknown, path: Path, depth: number): ErrorDetail | null {
  switch (typeof value) {
    case 'string': {
      const problem = stringProblem(value);
      return problem ? detail(path, problem) : null;
    }
    case 'number':
      // JSON.parse turns 1e400 into Infinity, which JSON.stringify would store as null.
      return Number.isFinite(value) ? null : detail(path, 'is a number outside the range JSON can hold');
    case 'object':
      if (value === null) return null;
      if (depth > MAX_JSON_DEPTH) return detail(path, `nests deeper than ${MAX_JSON_DEPTH} levels`);
      return Array.isArray(value) ? walkArray(value, path, depth) : walkObject(value as Record<string, unknown>, path, depth);
    default:
      return null;
  }
}

function walkArray(items: unknown[], path: Path, depth: number): ErrorDetail | null {
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    const problem = walk(items[i], path, depth + 1);
    path.pop();
    if (problem) return problem;
  }
  return null;
}

function walkObject(object: Record<string, unknown>, path: Path, depth: number): ErrorDetail | null {
  // for…in allocates no key array; parsed JSON objects inherit no enumerable keys.
  for (const key in object) {
    path.push(key);
    const keyProblem = stringProblem(key);
    const problem = keyProblem ? detail(path, `the key ${keyProblem}`) : walk(object[key], path, depth + 1);
    path.pop();
    if (problem) return problem;
  }
  return null;
}

/**
 * The first value PostgreSQL could not store as given, anywhere in `value`: a string (or object
 * key) holding NUL or a lone surrogate, a number JSON cannot hold, or nesting deeper than
 * MAX_JSON_DEPTH. One walk, no copies; `where` starts the field path (`body`, `querystring`).
 */
export function findUnstorable(value: unknown, where: string): ErrorDetail | null {
  return walk(value, [where], 0);
}

export function unstorableError(problem: ErrorDetail): AppError {
  return new AppError('validation_failed', `invalid input: ${problem.field}`, [problem]);
}

/** Throws 400 validation_failed naming the first unstorable field of `value`. */
export function assertStorable(value: unknown, where: string): void {
  const problem = findUnstorable(value, where);
  if (problem) throw unstorableError(problem);
}

/**
 * Every route's params, query and body are checked before validation, so nothing the database
 * would refuse reaches a handler, a group commit or a query (semantics §2).
 */
export function registerStorableCheck(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const problem =
      findUnstorable(request.params, 'params') ??
      findUnstorable(request.query, 'querystring') ??
      (request.routeOptions.config.storableBody === 'per-item' ? null : findUnstorable(request.body, 'body'));
    done(problem ? unstorableError(problem) : undefined);
  });
}
