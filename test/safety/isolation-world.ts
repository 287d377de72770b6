import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { activeOuCookie, addMember, assign, createCredential, signup, type Session } from '../helpers/factories.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Someone who sends requests: its credentials and where it stands relative to OU A. */
export interface Caller {
  label: string;
  headers: Record<string, string>;
  cookies: Record<string, string>;
  via: 'jwt' | 'basic';
  /** In organization A (it may see A's organization-level data, e.g. its member list). */
  sameOrg: boolean;
  /** The caller's own OU: a route keyed by a name (not an id) answers about this OU. */
  unitId: string;
  /** Its credentials resolve to no OU it may act in (a replayed cookie): it cannot make objects of its own. */
  replaysCookie?: boolean;
}

/**
 * The two organizations the isolation tests share: the object lives in OU A of org A; OU B is a
 * second OU of org A; org B is another organization.
 */
export interface World {
  app: FastifyInstance;
  db: Db;
  /** Unique to this run, so identifiers of A can be searched for in B's answers. */
  tag: string;
  orgA: string;
  unitA: string;
  unitB: string;
  orgB: string;
  /** The admin of org A acting in OU A (Owner there): creates the objects and reads them back. */
  ownerSession: Session;
  owner: Caller;
  /**
   * (a) member of OU B (also replaying OU A's signed activeOu cookie), (b) admin of org B, (c) Basic
   * credentials of OU B (sending OU A's cookie, which Basic must ignore) and of org B.
   */
  foreign: Caller[];
  /** (d) a Viewer of OU A: refused for every mutation that needs more than Viewer. */
  viewerA: Caller;
}

function jwtCaller(label: string, s: Session, cookies: Record<string, string>, sameOrg: boolean, unitId: string): Caller {
  return { label, headers: s.headers, cookies, via: 'jwt', sameOrg, unitId };
}

/** Signs up org A (OUs A and B) and org B, with one caller of each kind the matrix needs. */
export async function createWorld(app: FastifyInstance, db: Db): Promise<World> {
  const tag = randomBytes(4).toString('hex');
  const admin = await signup(app, { organization_name: `Org A ${tag}` });
  const unitA = admin.unitId;
  const created = await app.inject({ method: 'POST', url: '/org-units', headers: admin.headers, payload: { name: `OU B ${tag}` } });
  expect(created.statusCode, created.body).toBe(201);
  const unitB = created.json().unit_id as string;
  const ownerCookies = await activeOuCookie(app, admin, unitA);

  const memberB = await addMember(app, admin);
  await assign(app, admin, unitB, memberB.memberId, 'Owner');
  const viewer = await addMember(app, admin);
  await assign(app, admin, unitA, viewer.memberId, 'Viewer');
  const basicB = await createCredential(app, admin, await activeOuCookie(app, admin, unitB));

  const adminB = await signup(app, { organization_name: `Org B ${tag}` });
  const basicOrgB = await createCredential(app, adminB);

  const owner = jwtCaller('owner of OU A', admin, ownerCookies, true, unitA);
  const foreign: Caller[] = [
    jwtCaller('(a) Owner of OU B, same org', memberB, await activeOuCookie(app, memberB, unitB), true, unitB),
    { ...jwtCaller('(a) Owner of OU B replaying OU A’s activeOu cookie', memberB, ownerCookies, true, unitB), replaysCookie: true },
    jwtCaller('(b) admin of org B', adminB, {}, false, adminB.unitId),
    { label: '(c) Basic credential of OU B', headers: basicB.headers, cookies: ownerCookies, via: 'basic', sameOrg: true, unitId: unitB },
    { label: '(c) Basic credential of org B', headers: basicOrgB.headers, cookies: {}, via: 'basic', sameOrg: false, unitId: adminB.unitId },
  ];
  const viewerA = jwtCaller('(d) Viewer of OU A', viewer, await activeOuCookie(app, viewer, unitA), true, unitA);
  return { app, db, tag, orgA: admin.orgId, unitA, unitB, orgB: adminB.orgId, ownerSession: admin, owner, foreign, viewerA };
}

export function send(app: FastifyInstance, caller: Caller, method: Method, url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: caller.headers,
    cookies: caller.cookies,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/** A request as the owner of OU A that must succeed with `status`; returns the parsed body. */
export async function asOwner<T = Record<string, unknown>>(
  w: World,
  method: Method,
  url: string,
  payload: unknown,
  status: number,
): Promise<T> {
  const res = await send(w.app, w.owner, method, url, payload);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
  return (res.body ? res.json() : null) as T;
}
