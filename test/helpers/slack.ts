import type { FastifyInstance } from 'fastify';
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

/** POST /integrations/slack/install as `s`; returns the state in Slack's authorize URL. */
export async function startInstall(app: FastifyInstance, s: Session, cookies: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/integrations/slack/install', headers: s.headers, cookies });
  expect(res.statusCode, res.body).toBe(200);
  const state = new URL(res.json().authorize_url as string).searchParams.get('state');
  if (!state) throw new Error(`no state in ${res.body}`);
  return state;
}

export function callback(app: FastifyInstance, query: Record<string, string>) {
  return app.inject({ method: 'GET', url: `/integrations/slack/callback?${new URLSearchParams(query).toString()}` });
}

/** Installs the app into the session's active OU with `code-<x>` (token xoxb-<x>, team T<X>). */
export async function connectSlack(app: FastifyInstance, s: Session, x: string, cookies: Record<string, string> = {}) {
  const state = await startInstall(app, s, cookies);
  const res = await callback(app, { code: `code-${x}`, state });
  expect(res.statusCode, res.body).toBe(302);
}
