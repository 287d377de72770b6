import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export interface Session {
  token: string;
  orgId: string;
  unitId: string;
  memberId: string;
  email: string;
  password: string;
  /** Authorization header for this member. */
  headers: Record<string, string>;
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomBytes(5).toString('hex')}@example.com`;

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function basic(clientId: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` };
}

export function expectError(res: LightMyRequestResponse, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json() as { error: string; message: string; details?: Array<{ field: string; message: string }> };
  expect(typeof body.message).toBe('string');
  if (code) expect(body.error).toBe(code);
  return body;
}

/** Signs up a new organization; its admin has one OU, so no activeOu cookie is needed. */
export async function signup(app: FastifyInstance, overrides: Partial<Record<string, string>> = {}): Promise<Session> {
  const password = overrides.password ?? 'correct horse battery';
  const email = overrides.email ?? uniqueEmail('admin');
  const res = await app.inject({
    method: 'POST',
    url: '/auth/signup',
    payload: { organization_name: 'Acme', first_name: 'Ada', last_name: 'Admin', email, password, ...overrides },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return {
    token: body.token,
    orgId: body.organization.org_id,
    unitId: body.unit.unit_id,
    memberId: body.member.org_member_id,
    email,
    password,
    headers: bearer(body.token),
  };
}

/** Creates a member (as org admin) and logs them in. */
export async function addMember(
  app: FastifyInstance,
  admin: Session,
  role: 'admin' | 'member' = 'member',
): Promise<Session> {
  const email = uniqueEmail(role);
  const password = 'member password 1';
  const created = await app.inject({
    method: 'POST',
    url: '/org/members',
    headers: admin.headers,
    payload: { first_name: 'Mem', last_name: 'Ber', email, password, role },
  });
  expect(created.statusCode, created.body).toBe(201);
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  expect(login.statusCode, login.body).toBe(200);
  const token = login.json().token as string;
  return {
    token,
    orgId: admin.orgId,
    unitId: '',
    memberId: created.json().org_member_id,
    email,
    password,
    headers: bearer(token),
  };
}

export async function assign(app: FastifyInstance, by: Session, unitId: string, memberId: string, role: string) {
  const res = await app.inject({
    method: 'POST',
    url: `/org-units/${unitId}/members`,
    headers: by.headers,
    payload: { org_member_id: memberId, role },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** Creates an API credential in the session's only (or active) OU. */
export async function createCredential(app: FastifyInstance, session: Session, cookies: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/secrets', headers: session.headers, cookies, payload: { name: 'test' } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return { id: body.secret_id as string, headers: basic(body.client_id, body.client_secret) };
}

/** Makes `unitId` the session's active OU (POST /org-units/active) and returns the signed cookie to send. */
export async function activeOuCookie(app: FastifyInstance, session: Session, unitId: string): Promise<{ activeOu: string }> {
  const res = await app.inject({ method: 'POST', url: '/org-units/active', headers: session.headers, payload: { ouId: unitId } });
  expect(res.statusCode, res.body).toBe(200);
  const value = res.cookies.find((c) => c.name === 'activeOu')?.value;
  if (!value) throw new Error('POST /org-units/active set no activeOu cookie');
  return { activeOu: value };
}
