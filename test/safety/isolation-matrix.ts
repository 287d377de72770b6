import type { LightMyRequestResponse } from 'fastify';
import type { RegisteredRoute } from '../../src/app.js';
import { changedTables, checksums, leakedIdentifiers, refusalProblems, type tenantTables } from './isolation-checks.js';
import type { Factory, Made } from './isolation-factories.js';
import { send, type Caller, type Method, type World } from './isolation-world.js';

type Tables = Awaited<ReturnType<typeof tenantTables>>;

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const pathParams = (url: string): string[] => [...url.matchAll(/:(\w+)/g)].map((m) => m[1] as string);

/** The route's URL with the object's params; throws naming a param the factory does not give. */
export function fillPath(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`the factory of ${pattern} gives no value for :${name}`);
    return encodeURIComponent(value);
  });
}

/** (d) applies to mutations that need more than Viewer; a mutation open to Viewers is a read sent as POST. */
function viewerRefused(route: RegisteredRoute): boolean {
  const a = route.access;
  if (!MUTATIONS.has(route.method) || !a || a.auth === 'none') return false;
  return !(a.ou && a.role === 'Viewer');
}

export function callersOf(w: World, route: RegisteredRoute): Caller[] {
  return viewerRefused(route) ? [...w.foreign, w.viewerA] : w.foreign;
}

async function readBack(w: World, urls: string[]): Promise<string[]> {
  const answers: string[] = [];
  for (const url of urls) {
    const res = await send(w.app, w.owner, 'GET', url);
    answers.push(`${res.statusCode} ${res.body}`);
  }
  return answers;
}

interface Call {
  route: RegisteredRoute;
  factory: Factory;
  made: Made;
  url: string;
  body: unknown;
}

/**
 * A route keyed by a name answers a foreign caller about the caller's own OU: a 2xx must be exactly
 * the answer for a name that exists nowhere.
 */
async function nameKeyedProblems(w: World, call: Call, caller: Caller, res: LightMyRequestResponse): Promise<string[]> {
  const param = call.factory.nameParam as string;
  const name = call.made.params[param] as string;
  const unknown = `iso_unknown_${w.tag}_${Math.random().toString(36).slice(2, 8)}`;
  const other = await send(w.app, caller, call.route.method as Method, fillPath(call.route.url, { ...call.made.params, [param]: unknown }), call.body);
  const mine = res.body.replaceAll(name, '<name>');
  const theirs = other.body.replaceAll(unknown, '<name>');
  if (other.statusCode === res.statusCode && mine === theirs) return [];
  return [`answered ${res.statusCode} ${mine.slice(0, 300)}, but for a name used nowhere ${other.statusCode} ${theirs.slice(0, 300)}`];
}

function allowedStatuses(call: Call, caller: Caller, w: World): number[] {
  const jwtOnly = call.route.access?.auth === 'jwt';
  if ((jwtOnly && caller.via === 'basic') || caller === w.viewerA) return [403];
  return [403, 404];
}

type Sums = Map<string, string>;

/**
 * One foreign call: its answer, and every tenant table before and after it. `before` is the sums
 * the previous call left (one checksum per call instead of two); a route keyed by a name may write
 * in the caller's own OU, so its sums leave that OU out and are taken afresh.
 */
async function foreignCallProblems(w: World, tables: Tables, call: Call, caller: Caller, before: Sums): Promise<{ problems: string[]; after: Sums }> {
  const allowed = allowedStatuses(call, caller, w);
  // A caller that must get 403 changes nothing anywhere, even on a route keyed by a name.
  const ownOuAnswer = call.factory.nameParam !== undefined && allowed.includes(404);
  const exceptUnit = ownOuAnswer ? caller.unitId : undefined;
  const start = ownOuAnswer ? await checksums(w.db, tables, exceptUnit) : before;
  const res = await send(w.app, caller, call.route.method as Method, call.url, call.body);
  const after = await checksums(w.db, tables, exceptUnit);
  const problems: string[] = [];
  const changed = changedTables(start, after);
  if (changed.length > 0) problems.push(`changed ${changed.join(', ')}${ownOuAnswer ? ' outside its own OU' : ''}`);
  if (ownOuAnswer && res.statusCode < 300) {
    problems.push(...(await nameKeyedProblems(w, call, caller, res)));
  } else {
    problems.push(...refusalProblems(res, allowed));
  }
  const sentName = call.factory.nameParam ? call.made.params[call.factory.nameParam] : undefined;
  const leaked = leakedIdentifiers(res.body, call.made.identifiers.filter((i) => i.value !== sentName), caller.sameOrg);
  if (leaked.length > 0) problems.push(`shows A's ${leaked.join(', ')}`);
  // Sums without the caller's OU cannot start the next call: take the whole tables afresh.
  return { problems, after: ownOuAnswer ? await checksums(w.db, tables) : after };
}

/** Every foreign caller against one route on the shared object; then the owner's read-back is unchanged. */
export async function routeProblems(w: World, tables: Tables, route: RegisteredRoute, factory: Factory, made: Made): Promise<string[]> {
  const where = `${route.method} ${route.url}`;
  let url: string;
  try {
    url = fillPath(route.url, made.params) + (made.query ?? '');
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
  const call: Call = { route, factory, made, url, body: made.bodies?.[route.method as Method] };
  const problems: string[] = [];
  const seenBefore = await readBack(w, made.readBack);
  let sums = await checksums(w.db, tables);
  for (const caller of callersOf(w, route)) {
    const outcome = await foreignCallProblems(w, tables, call, caller, sums);
    for (const p of outcome.problems) problems.push(`${where} as ${caller.label}: ${p}`);
    sums = outcome.after;
  }
  const seenAfter = await readBack(w, made.readBack);
  made.readBack.forEach((readUrl, i) => {
    if (seenBefore[i] !== seenAfter[i]) problems.push(`${where}: the owner's GET ${readUrl} changed: ${seenAfter[i]?.slice(0, 300)}`);
  });
  return problems;
}

/** The owner's same call on a fresh object must succeed, or the refusals above prove nothing. */
export async function ownerProblems(w: World, route: RegisteredRoute, factory: Factory): Promise<string[]> {
  const made = await factory.make(w);
  const url = fillPath(route.url, made.params) + (made.query ?? '');
  const res = await send(w.app, w.owner, route.method as Method, url, made.bodies?.[route.method as Method]);
  if (res.statusCode >= 200 && res.statusCode < 300) return [];
  return [
    `${route.method} ${route.url}: the owner's call on a fresh ${factory.kind} answers ${res.statusCode} ${res.body.slice(0, 300)} ` +
      '(fix its factory in test/safety/isolation-factories.ts: params and body must be valid)',
  ];
}
