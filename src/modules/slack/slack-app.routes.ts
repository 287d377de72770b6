import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../auth/access.js';
import { errorResponses } from '../../http/responses.js';
import type { SlackAppService } from './slack-app.service.js';
import { slackAppBody, slackAppSchema, toSlackApp } from './slack.schemas.js';

const tags = ['Slack'];

/** The organization's Slack app (org-level): any member reads it, an org admin sets it. */
export async function slackAppRoutes(app: FastifyInstance, apps: SlackAppService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/settings/slack-app', {
    config: { access: access.member },
    schema: {
      tags,
      operationId: 'getSlackApp',
      summary: 'Get the Slack app configuration (org-level; the client secret is never returned)',
      response: { 200: slackAppSchema, ...errorResponses(401, 403) },
    },
    handler: async (request) => toSlackApp(await apps.get(request.auth.orgId)),
  });
  r.put('/settings/slack-app', {
    config: { access: access.orgAdmin },
    schema: {
      tags,
      operationId: 'setSlackApp',
      summary: 'Set the Slack app configuration (org admin; the client secret is stored encrypted)',
      body: slackAppBody,
      response: { 200: slackAppSchema, ...errorResponses(400, 401, 403) },
    },
    handler: async (request) => toSlackApp(await apps.put(request.auth.orgId, request.auth.memberId, request.body)),
  });
}
