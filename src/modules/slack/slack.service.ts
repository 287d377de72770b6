import type { FastifyBaseLogger } from 'fastify';
import type { SecretBox } from '../../auth/secret-box.js';
import type { Tenant } from '../../auth/tenant.js';
import { AppError, notFound } from '../../http/errors.js';
import { SlackCallError, type CallSlack, type SlackResult } from './slack.api.js';
import type { SlackAppService } from './slack-app.service.js';
import { botTokenContext, openBotToken, postToTarget } from './slack.delivery.js';
import { slackFailure } from './slack-errors.js';
import type { SlackConnection, SlackRepository } from './slack.repository.js';
import { channelsSchema, toStatus, usersSchema, type SlackTarget } from './slack.schemas.js';
import type { z } from 'zod';

export interface SlackServiceDeps {
  repo: Pick<SlackRepository, 'findConnection' | 'setDefaultTarget' | 'deleteConnection'>;
  apps: Pick<SlackAppService, 'get'>;
  box: SecretBox;
  callSlack: CallSlack;
  log: FastifyBaseLogger;
}

const TEST_TEXT = ':white_check_mark: Leadvibe test notification: lead alerts for this OU can reach this conversation.';

/** Slack's answer, passed through once it has the shape the route promises. */
function upstream<S extends z.ZodType>(schema: S, result: SlackResult): z.infer<S> {
  const parsed = schema.safeParse(result);
  if (!parsed.success) throw new SlackCallError('invalid_response', 200);
  return parsed.data;
}

const notConnected = () => new AppError('slack_not_connected', 'this OU is not connected to Slack: install the Slack app first (POST /integrations/slack/install)');

/** The OU's connection to a Slack workspace: status, proxies, default target, test message, disconnect. */
export function createSlackService(deps: SlackServiceDeps) {
  const { repo, box, log } = deps;

  async function requireConnection(tenant: Tenant): Promise<SlackConnection> {
    const connection = await repo.findConnection(tenant);
    if (!connection) throw notConnected();
    return connection;
  }

  /** A Web API call with the OU's bot token; Slack's failures become 400/409/502 (slack-errors.ts). */
  async function asBot<T>(tenant: Tenant, work: (token: string) => Promise<T>): Promise<T> {
    const token = openBotToken(box, await requireConnection(tenant));
    try {
      return await work(token);
    } catch (err) {
      if (err instanceof SlackCallError) throw slackFailure(err);
      throw err;
    }
  }

  async function status(tenant: Tenant, connection?: SlackConnection) {
    const app = await deps.apps.get(tenant.orgId);
    return toStatus(connection ?? (await repo.findConnection(tenant)), app !== undefined);
  }

  return {
    status: (tenant: Tenant) => status(tenant),

    channels(tenant: Tenant, query: { types: string; exclude_archived: 'true' | 'false'; limit: number; cursor?: string | undefined }) {
      const args = { types: query.types, exclude_archived: query.exclude_archived === 'true', limit: query.limit, cursor: query.cursor };
      return asBot(tenant, async (token) => upstream(channelsSchema, await deps.callSlack('conversations.list', token, args)));
    },

    users(tenant: Tenant, query: { limit: number; cursor?: string | undefined }) {
      return asBot(tenant, async (token) => upstream(usersSchema, await deps.callSlack('users.list', token, { limit: query.limit, cursor: query.cursor })));
    },

    async setDefaultTarget(tenant: Tenant, target: SlackTarget) {
      const connection = await repo.setDefaultTarget(tenant, target.kind, target.id);
      if (!connection) throw notConnected();
      return status(tenant, connection);
    },

    sendTest(tenant: Tenant, target: SlackTarget, text: string | undefined) {
      return asBot(tenant, (token) => postToTarget(deps.callSlack, token, target, { text: text ?? TEST_TEXT }));
    },

    /** Forgets the connection, then asks Slack to revoke its token (best effort: it is gone here either way). */
    async disconnect(tenant: Tenant): Promise<void> {
      const removed = await repo.deleteConnection(tenant);
      if (!removed) throw notFound('Slack connection');
      try {
        const token = box.open(removed.bot_token_sealed, botTokenContext(tenant));
        await deps.callSlack('auth.revoke', token, {});
      } catch (err) {
        log.warn({ err, unitId: tenant.unitId }, 'could not revoke the Slack bot token of a disconnected OU');
      }
    },
  };
}

export type SlackService = ReturnType<typeof createSlackService>;
