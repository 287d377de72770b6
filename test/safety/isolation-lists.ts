import type { RegisteredRoute } from '../../src/app.js';
import { leakedIdentifiers, refusalProblems } from './isolation-checks.js';
import type { Identifier } from './isolation-factories.js';
import { send, type Caller, type World } from './isolation-world.js';

/**
 * GET routes without path parameters that the list check leaves out (keep it short):
 */
export const LIST_EXEMPT: Record<string, string> = {
  '/stream':
    'Server-Sent Events never end, so inject cannot read them; test/modules/stream.test.ts holds a stream to the ' +
    'caller’s OUs (ouId of another OU is 403) and the live hub publishes per OU',
  '/integrations/slack/install':
    'starts an install in the caller’s own OU (302 for any Operator of an organization with a Slack app, 409 without one); ' +
    'test/modules/slack-install.test.ts holds the state to the OU and member that made it',
  '/integrations/slack/callback':
    'public, authenticated by its single-use state alone (400 without one); test/modules/slack-install.test.ts connects only the OU the state names',
  '/integrations/slack/channels':
    'a proxy of Slack with the caller’s own OU’s bot token (409 for an OU without a connection, so B cannot answer here); ' +
    'test/modules/slack-connection.test.ts "another OU" checks that no other OU’s connection is ever used',
  '/integrations/slack/users': 'as /integrations/slack/channels',
};

/** Query strings that let a list answer: the largest page, and the ids a route needs. */
const LIST_QUERIES: Record<string, (leadOfA: string) => string> = {
  '/leads': () => 'limit=500',
  '/events': () => 'limit=500',
  '/deals': () => 'limit=500',
  '/admin/audit-logs': () => 'limit=500',
  '/analytics/top-leads': () => 'limit=500',
  '/analytics/score-gains': () => 'limit=500&hours=8760',
  '/analytics/recent-score-gains': () => 'limit=500&hours=8760',
  // The id of A's lead: B's callers must get a 404, not A's history.
  '/score-history': (leadOfA) => `lead_id=${encodeURIComponent(leadOfA)}`,
  // A prefix of A's lead id: B's callers must find nothing of A.
  '/leads/search': (leadOfA) => `q=${encodeURIComponent(leadOfA.slice(0, 8))}`,
};
/** Lists asked about A's object: no caller of B may read them with a 2xx. */
const ASKED_ABOUT_A = new Set(['/score-history']);

export function listQuery(url: string, leadOfA: string): string {
  const query = LIST_QUERIES[url]?.(leadOfA);
  return query ? `${url}?${query}` : url;
}

/**
 * Parts of an answer that change when org A changes, by design, for callers of org A: the
 * organization's member list and its usage counts are organization-level.
 */
const ORG_LEVEL: Record<string, (body: Record<string, unknown>) => unknown> = {
  '/org/members': () => null,
  '/usage': ({ organization: _org, ...rest }) => rest,
};

/** Answers that change whatever A does: process-wide request counters. */
const VOLATILE = new Set(['/metrics']);
/**
 * Fields that change with the caller's own calls: its request, its credential's last use, its
 * organization's API call counts in /usage (test/modules/usage.test.ts keeps organizations apart).
 */
const VOLATILE_KEYS = new Set(['request_id', 'last_used_at', 'api_calls', 'api_write_requests']);

export function listRoutes(routes: RegisteredRoute[]): RegisteredRoute[] {
  return routes.filter((r) => r.method === 'GET' && !r.url.includes(':') && !LIST_EXEMPT[r.url]);
}

interface Seen {
  status: number;
  view: string;
}

/** B's caller's view of a list, with what may legitimately change left out. */
function viewOf(route: RegisteredRoute, caller: Caller, status: number, body: string): string {
  if (VOLATILE.has(route.url)) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const orgLevel = ORG_LEVEL[route.url];
  if (caller.sameOrg && orgLevel && status === 200) parsed = orgLevel(parsed as Record<string, unknown>);
  return JSON.stringify(parsed, (key, value: unknown) => (VOLATILE_KEYS.has(key) ? undefined : value));
}

/**
 * Calls every list route as `caller`; returns problems (a status that shows nothing, a 5xx, an
 * identifier of A in the answer) and the views, to compare after A has changed.
 */
export async function readLists(
  w: World,
  routes: RegisteredRoute[],
  caller: Caller,
  identifiers: Identifier[],
  leadOfA: string,
): Promise<{ problems: string[]; views: Map<string, Seen> }> {
  const problems: string[] = [];
  const views = new Map<string, Seen>();
  for (const route of routes) {
    const url = listQuery(route.url, leadOfA);
    const res = await send(w.app, caller, 'GET', url);
    const where = `GET ${url} as ${caller.label}`;
    const basicRefused = route.access?.auth === 'jwt' && caller.via === 'basic';
    if (basicRefused || res.statusCode >= 300) {
      const allowed = basicRefused ? [403] : [403, 404];
      for (const p of refusalProblems(res, allowed)) {
        problems.push(`${where}: ${p}${res.statusCode === 400 ? ' (give it a query in LIST_QUERIES so it can answer)' : ''}`);
      }
    }
    const leaked = leakedIdentifiers(res.body, identifiers, caller.sameOrg);
    if (leaked.length > 0) problems.push(`${where}: shows A's ${leaked.join(', ')}`);
    views.set(url, { status: res.statusCode, view: viewOf(route, caller, res.statusCode, res.body) });
  }
  return { problems, views };
}

/** Lists that no caller of B read with a 2xx: the check saw nothing there. */
export function unreadLists(routes: RegisteredRoute[], viewsPerCaller: Array<Map<string, Seen>>, leadOfA: string): string[] {
  return routes
    .filter((r) => !ASKED_ABOUT_A.has(r.url))
    .map((r) => listQuery(r.url, leadOfA))
    .filter((url) => !viewsPerCaller.some((views) => (views.get(url)?.status ?? 0) < 300))
    .map((url) => `GET ${url}: no caller of B could read it, so no leak could be seen (give it a query in LIST_QUERIES)`);
}

/** Views of B's callers that changed while only org A changed. */
export function changedViews(before: Map<string, Seen>, after: Map<string, Seen>, caller: Caller): string[] {
  const problems: string[] = [];
  for (const [url, seen] of before) {
    const now = after.get(url);
    if (now && (now.status !== seen.status || now.view !== seen.view)) {
      problems.push(`GET ${url} as ${caller.label} changed when only OU A changed:\n  before ${seen.view.slice(0, 400)}\n  after  ${now.view.slice(0, 400)}`);
    }
  }
  return problems;
}
