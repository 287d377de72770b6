import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A JSON Schema as @fastify/swagger writes it into openapi.yaml (refs already inlined by `loadOperations`). */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
};

export interface Parameter {
  name: string;
  required: boolean;
  schema: Schema;
}

/** `jwt`: member sessions only (routes.md "J"); `any`: sessions or Basic ("J,B"); `none`: public. */
export type AuthKind = 'none' | 'jwt' | 'any';

export interface Operation {
  /** `GET /rules/{id}`: the name each test and failure report uses. */
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  pathParams: Parameter[];
  query: Parameter[];
  body: { contentType: string; schema: Schema; required: boolean } | null;
  auth: AuthKind;
}

interface Document {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface RawOperation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema: Schema }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  security?: Array<Record<string, string[]>>;
}

/** Replaces every `#/components/schemas/X` reference by the schema it names (the document has no cycles). */
function inline(schema: Schema, components: Record<string, Schema>, depth = 0): Schema {
  if (depth > 50) throw new Error('schema nesting too deep: a reference cycle?');
  if (Array.isArray(schema)) return schema.map((s) => inline(s, components, depth + 1)) as unknown as Schema;
  if (schema === null || typeof schema !== 'object') return schema;
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = components[name];
    if (!target) throw new Error(`unresolved schema reference ${schema.$ref}`);
    return inline(target, components, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, inline(v, components, depth + 1)]))
        : typeof value === 'object' && value !== null && key !== 'enum' && key !== 'default' && key !== 'const'
          ? inline(value as Schema, components, depth + 1)
          : value;
  }
  return out as Schema;
}

function authOf(security: RawOperation['security']): AuthKind {
  const schemes = new Set((security ?? []).flatMap((s) => Object.keys(s)));
  if (schemes.size === 0) return 'none';
  return schemes.has('basicAuth') ? 'any' : 'jwt';
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of an OpenAPI document, with its schemas inlined. */
export function operationsOf(doc: Document): Operation[] {
  const components = doc.components?.schemas ?? {};
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const params = (raw.parameters ?? []).map((p) => ({
        in: p.in,
        name: p.name,
        required: Boolean(p.required),
        schema: inline(p.schema ?? {}, components),
      }));
      const [contentType, media] = Object.entries(raw.requestBody?.content ?? {})[0] ?? [];
      operations.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        query: params.filter((p) => p.in === 'query'),
        body: contentType && media ? { contentType, schema: inline(media.schema, components), required: Boolean(raw.requestBody?.required) } : null,
        auth: authOf(raw.security),
      });
    }
  }
  return operations;
}

/** The committed openapi.yaml (openapi.test.ts holds it equal to what the route schemas generate). */
export function committedOperations(): Operation[] {
  const text = readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8');
  return operationsOf(parse(text) as Document);
}
