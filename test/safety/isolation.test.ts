import { beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredRoute } from '../../src/app.js';
import { setupTestApp } from '../helpers/app.js';
import { tenantTables } from './isolation-checks.js';
import { FACTORIES, PATH_EXEMPT, type Factory, type Identifier, type Made } from './isolation-factories.js';
import { changedViews, listRoutes, readLists, unreadLists } from './isolation-lists.js';
import { ownerProblems, pathParams, routeProblems } from './isolation-matrix.js';
import { asOwner, createWorld, type World } from './isolation-world.js';

/**
 * Tenant isolation over every registered route (issue 9 item 4): generated from
 * app.registeredRoutes, so a route is covered the day it is registered. The scoring worker is off:
 * factories drain it, and nothing changes the tables behind the checksums' back.
 */
const ctx = setupTestApp({ SCORING_WORKER: 'false', DELIVERY_WORKER: 'false' });
let w: World;
let tables: Awaited<ReturnType<typeof tenantTables>>;

const shared = new Map<Factory, Promise<Made>>();
/** One object per factory for every foreign call: a foreign call must not change it (the checksums say so). */
function sharedObject(factory: Factory): Promise<Made> {
  let made = shared.get(factory);
  if (!made) {
    made = factory.make(w);
    shared.set(factory, made);
  }
  return made;
}

const routesWithPathIds = (): RegisteredRoute[] =>
  ctx.app.registeredRoutes.filter((r) => pathParams(r.url).length > 0 && !PATH_EXEMPT[r.url]);

function report(problems: string[], advice: string) {
  expect(problems, `${problems.length} problem(s):\n${problems.join('\n')}\n${advice}`).toEqual([]);
}

beforeAll(async () => {
  w = await createWorld(ctx.app, ctx.database.db);
  tables = await tenantTables(ctx.database.db);
});

describe('tenant isolation matrix', () => {
  it('has a factory for every registered route with a path parameter, and none for a route that is gone', () => {
    const missing = routesWithPathIds().filter((r) => !FACTORIES[r.url]).map((r) => `${r.method} ${r.url}`);
    report(
      missing,
      'Add each pattern to FACTORIES in test/safety/isolation-factories.ts with a factory that creates its object in ' +
        'OU A through the API (docs/architecture.md, "Adding a route").',
    );
    const urls = new Set(ctx.app.registeredRoutes.map((r) => r.url));
    report(Object.keys(FACTORIES).filter((p) => !urls.has(p)), 'Remove factories of patterns no route has any more.');
    report(Object.keys(PATH_EXEMPT).filter((p) => !urls.has(p)), 'Remove exemptions of patterns no route has any more.');
  });

  // Runs before the matrix: foreign calls write audit rows (and event-type settings) in OU B that
  // name A's ids, and B's callers may rightly see those.
  it('never shows OU A rows in a list to B, and B’s lists do not change when only OU A changes', async () => {
    const identifiers: Identifier[] = [
      { value: w.unitA, scope: 'ou' },
      { value: w.orgA, scope: 'org' },
    ];
    for (const factory of new Set(Object.values(FACTORIES))) identifiers.push(...(await sharedObject(factory)).identifiers);
    const leadOfA = (await sharedObject(FACTORIES['/leads/:leadID/score'] as Factory)).params.leadID as string;
    const routes = listRoutes(ctx.app.registeredRoutes);
    // The cookie-replaying caller is refused everywhere; the matrix holds it to that.
    const callers = w.foreign.filter((c) => !c.replaysCookie);
    const problems: string[] = [];
    const before = [];
    for (const caller of callers) {
      const seen = await readLists(w, routes, caller, identifiers, leadOfA);
      problems.push(...seen.problems);
      before.push(seen.views);
    }
    problems.push(...unreadLists(routes, before, leadOfA));
    // OU A changes: one more object of every kind, a custom surge policy, scored events.
    for (const factory of new Set(Object.values(FACTORIES))) identifiers.push(...(await factory.make(w)).identifiers);
    await asOwner(w, 'PUT', '/settings/ou/surge-policy', { mode: 'custom', bands: [{ min_events: 1, multiplier: 1.5 }], multiplier_cap: 2 }, 200);
    for (const [i, caller] of callers.entries()) {
      const seen = await readLists(w, routes, caller, identifiers, leadOfA);
      problems.push(...seen.problems, ...changedViews(before[i] as typeof seen.views, seen.views, caller));
    }
    report(problems, 'A list answers with rows of another OU: filter its query by org_id and unit_id.');
    // Every factory twice and every list eight times: beyond the default 30 s on a loaded machine.
  }, 120_000);

  it('refuses every route with a path id to every foreign caller (403/404), and nothing changes', async () => {
    const problems: string[] = [];
    for (const route of routesWithPathIds()) {
      const factory = FACTORIES[route.url];
      if (!factory) continue;
      problems.push(...(await routeProblems(w, tables, route, factory, await sharedObject(factory))));
    }
    report(problems, 'A route reached an object of another tenant: scope its query by org_id and unit_id (a miss is a 404).');
  }, 120_000);

  it('lets the owner make the same calls on a fresh object (so the refusals are not 400s or missing objects)', async () => {
    const problems: string[] = [];
    for (const route of routesWithPathIds()) {
      const factory = FACTORIES[route.url];
      if (factory) problems.push(...(await ownerProblems(w, route, factory)));
    }
    report(problems, '');
  }, 120_000);
});
