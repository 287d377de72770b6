import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { access } from '../../auth/access.js';
import { tenantOf } from '../../auth/tenant.js';
import { errorResponses } from '../../http/responses.js';
import { channelsQuery, channelsSchema, statusSchema, targetBody, testBody, testResultSchema, usersQuery, usersSchema } from './slack.schemas.js';
import type { SlackService } from './slack.service.js';

const tags = ['Slack'];
/** Slack's own failures: 400 it refused the request, 409 install again, 502 unreachable or failing. */
const slackErrors = errorResponses(400, 401, 403, 409, 502);

/** What the OU's bot can see and do in its workspace: proxies of Slack's lists, the default target, a test message. */
export async function slackWorkspaceRoutes(app: FastifyInstance, service: SlackService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/integrations/slack/channels', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags,
      operationId: 'listSlackChannels',
      summary: "List Slack channels (proxy of conversations.list; page with Slack's response_metadata.next_cursor as cursor)",
      querystring: channelsQuery,
      response: { 200: channelsSchema, ...slackErrors },
    },
    handler: async (request) => service.channels(tenantOf(request.auth), request.query),
  });
  r.get('/integrations/slack/users', {
    config: { access: access.ouMember('Viewer') },
    schema: {
      tags,
      operationId: 'listSlackUsers',
      summary: "List Slack users (proxy of users.list; page with Slack's response_metadata.next_cursor as cursor)",
      querystring: usersQuery,
      response: { 200: usersSchema, ...slackErrors },
    },
    handler: async (request) => service.users(tenantOf(request.auth), request.query),
  });
  r.put('/integrations/slack/default-target', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'setSlackDefaultTarget',
      summary: 'Set the default Slack target (channel or user) of notifications; answers the integration status',
      body: targetBody,
      response: { 200: statusSchema, ...errorResponses(400, 401, 403, 409) },
    },
    handler: async (request) => service.setDefaultTarget(tenantOf(request.auth), request.body),
  });
  r.post('/integrations/slack/test', {
    config: { access: access.ouMember('Operator') },
    schema: {
      tags,
      operationId: 'sendSlackTest',
      summary: 'Send a test Slack notification to a channel, or to a user (a DM opened with conversations.open)',
      body: testBody,
      response: { 200: testResultSchema, ...slackErrors },
    },
    handler: async (request) => ({ ok: true as const, ...(await service.sendTest(tenantOf(request.auth), request.body, request.body.text)) }),
  });
}
