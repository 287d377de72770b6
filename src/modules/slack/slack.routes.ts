import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import { createSecretBox } from '../../auth/secret-box.js';
import { tenantOf } from '../../auth/tenant.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { errorResponses } from '../../http/responses.js';
import { createSlackApi } from './slack.api.js';
import { createSlackAppService } from './slack-app.service.js';
import { slackAppRoutes } from './slack-app.routes.js';
import { createSlackInstallService, STATE_TTL_SECONDS, type SlackInstallService } from './slack-install.service.js';
import { createSlackRepository } from './slack.repository.js';
import { authorizeSchema, callbackQuery, statusSchema } from './slack.schemas.js';
import { createSlackService, type SlackService } from './slack.service.js';
import { slackWorkspaceRoutes } from './slack-workspace.routes.js';

export const tags = ['Slack'];

/** The Slack integration (routes.md "Settings, event types, Slack"; docs/slack.md): one tag, this module. */
export async function slackRoutes(app: FastifyInstance, deps: { db: Db; config: Config }) {
  const repo = createSlackRepository(deps.db);
  const box = createSecretBox(deps.config.secretsKey);
  const callSlack = createSlackApi({ baseUrl: deps.config.slack.apiBase, timeoutMs: deps.config.slack.timeoutMs, log: app.log });
  const apps = createSlackAppService({ repo, box });
  const install = createSlackInstallService({ repo, apps, box, callSlack, config: deps.config.slack });
  const service = createSlackService({ repo, apps, box, callSlack, log: app.log });
  await slackAppRoutes(app, apps);
  await installRoutes(app, install, deps.config);
  await callbackRoute(app, install, deps.config.slack.installReturnUrl);
  await connectionRoutes(app, service);
  await slackWorkspaceRoutes(app, service);
}

/** Binds an install to the browser that began it (signed, HttpOnly, sent back only to the callback). */
const INSTALL_COOKIE = 'slack_install';
const CALLBACK_PATH = '/integrations/slack/callback';

/** The install cookie's value (the state's hash), when it is there and its signature holds. */
function installBinding(request: FastifyRequest): string | undefined {
  const raw = request.cookies[INSTALL_COOKIE];
  const unsigned = raw ? request.unsignCookie(raw) : undefined;
  return unsigned?.valid ? (unsigned.value ?? undefined) : undefined;
}

async function installRoutes(app: FastifyInstance, install: SlackInstallService, config: Config) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const cookie = { httpOnly: true, sameSite: 'lax', path: CALLBACK_PATH, secure: config.cookieSecure, signed: true, maxAge: STATE_TTL_SECONDS } as const;
  const begin = async (request: FastifyRequest, reply: FastifyReply) => {
    const started = await install.begin(tenantOf(request.auth), request.auth.memberId as string);
    reply.setCookie(INSTALL_COOKIE, started.binding, cookie);
    return started.authorizeUrl;
  };
  r.get('/integrations/slack/install', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'beginSlackInstall',
      summary: "Begin Slack installation: 302 to Slack's authorize URL with a single-use state for the active OU (10 minutes)",
      response: { 302: z.null().describe("Location: Slack's authorize URL"), ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => reply.redirect(await begin(request, reply), 302),
  });
  r.post('/integrations/slack/install', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'initiateSlackInstall',
      summary: "Initiate Slack installation: a single-use state for the active OU (10 minutes) in Slack's authorize URL",
      response: { 200: authorizeSchema, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request, reply) => ({ authorize_url: await begin(request, reply) }),
  });
}

async function callbackRoute(app: FastifyInstance, install: SlackInstallService, returnUrl: string) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(CALLBACK_PATH, {
    config: { access: access.public },
    schema: {
      tags,
      operationId: 'slackOauthCallback',
      summary:
        'Slack OAuth callback: the state and the install cookie of the browser that began it authenticate; stores the OU connection, then 302 to the Integrations page',
      querystring: callbackQuery,
      response: { 302: z.null().describe('Location: SLACK_INSTALL_RETURN_URL'), ...errorResponses(400, 403, 409, 502) },
    },
    handler: async (request, reply) => {
      await install.complete(request.query, installBinding(request));
      reply.clearCookie(INSTALL_COOKIE, { path: CALLBACK_PATH });
      return reply.redirect(returnUrl, 302);
    },
  });
}

async function connectionRoutes(app: FastifyInstance, service: SlackService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/integrations/slack', {
    config: { access: access.ouMember('Viewer') },
    schema: { tags, operationId: 'getSlackIntegration', summary: 'OU Slack integration status', response: { 200: statusSchema, ...errorResponses(400, 401, 403) } },
    handler: async (request) => service.status(tenantOf(request.auth)),
  });
  r.delete('/integrations/slack', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'disconnectSlack',
      summary: "Disconnect the OU from Slack (its default target goes too; Slack is asked to revoke the bot token)",
      response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      await service.disconnect(tenantOf(request.auth));
      return reply.code(204).send(null);
    },
  });
}
