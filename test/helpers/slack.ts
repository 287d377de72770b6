import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { FAKE_APP } from './fake-slack.js';
import type { Session } from './factories.js';

/** PUT /settings/slack-app with the fake's credentials, as an org admin. */
export async function configureSlackApp(app: FastifyInstance, admin: Session, extra: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'PUT',
    url: '/settings/slack-app',
    headers: admin.headers,
    payload: { client_id: FAKE_APP.clientId, client_secret: FAKE_APP.clientSecret, ...extra },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** The install cookie each started install set, by state: the browser that began it sends it back. */
const installCookies = new Map<string, string>();

/** Records the state and install cookie of an install response (POST body or GET Location). */
export function rememberInstall(res: LightMyRequestResponse): string {
  const url = res.statusCode === 302 ? String(res.headers.location) : String(res.json().authorize_url);
  const state = new URL(url).searchParams.get('state');
  const cookie = res.cookies.find((c) => c.name === 'slack_install');
  if (!state || !cookie) throw new Error(`no state or install cookie in ${res.statusCode} ${res.body}`);
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/integrations/slack/callback', maxAge: 600 });
  installCookies.set(state, cookie.value);
  return state;
}

/** POST /integrations/slack/install as `s`; returns the state in Slack's authorize URL. */
export async function startInstall(app: FastifyInstance, s: Session, cookies: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/integrations/slack/install', headers: s.headers, cookies });
  expect(res.statusCode, res.body).toBe(200);
  return rememberInstall(res);
}

/** Slack's redirect to the callback, from the browser that began the install unless `cookie` says otherwise. */
export function callback(app: FastifyInstance, query: Record<string, string>, cookie: string | null = installCookies.get(query.state ?? '') ?? null) {
  return app.inject({
    method: 'GET',
    url: `/integrations/slack/callback?${new URLSearchParams(query).toString()}`,
    cookies: cookie === null ? {} : { slack_install: cookie },
  });
}

/** The install cookie a state's install set. */
export const installCookieOf = (state: string) => installCookies.get(state) ?? null;

/** Installs the app into the session's active OU with `code-<x>` (token xoxb-<x>, team T<X>). */
export async function connectSlack(app: FastifyInstance, s: Session, x: string, cookies: Record<string, string> = {}) {
  const state = await startInstall(app, s, cookies);
  const res = await callback(app, { code: `code-${x}`, state });
  expect(res.statusCode, res.body).toBe(302);
}
