import type { FastifyBaseLogger } from 'fastify';
import { createSecretBox } from '../../auth/secret-box.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import { createSlackApi, SlackCallError } from './slack.api.js';
import { defaultTarget, openBotToken, postToTarget, type SlackMessage } from './slack.delivery.js';
import { isRetryable } from './slack-errors.js';
import { createSlackRepository } from './slack.repository.js';
import type { SlackTarget } from './slack.schemas.js';

export type { SlackMessage } from './slack.delivery.js';
export type { SlackTarget } from './slack.schemas.js';

/** One delivery attempt, for the outbox to record; `error` is Slack's code or one of ours (docs/slack.md). */
export interface SlackSendResult {
  ok: boolean;
  httpStatus?: number;
  error?: string;
  /** Worth another attempt later (rate limit, Slack or network failure); false: it will fail the same way. */
  retryable: boolean;
  /** Slack's Retry-After on a rate limit, in seconds. */
  retryAfterSeconds?: number;
  channel?: string;
  ts?: string;
}

/**
 * Sends `message` as the OU's Slack bot to `target`, or to the OU's default target when it is null.
 * Never throws: every outcome is a result.
 */
export type SendSlackMessage = (orgId: string, unitId: string, target: SlackTarget | null, message: SlackMessage) => Promise<SlackSendResult>;

function failure(err: unknown, log: FastifyBaseLogger): SlackSendResult {
  if (err instanceof SlackCallError) {
    const { httpStatus, slackError: error, retryAfterSeconds } = err;
    return { ok: false, error, retryable: isRetryable(err), ...(httpStatus !== undefined && { httpStatus }), ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) };
  }
  if (err instanceof AppError && err.code === 'slack_reconnect_required') return { ok: false, error: 'token_unreadable', retryable: false };
  log.error({ err }, 'slack delivery failed');
  return { ok: false, error: 'internal_error', retryable: true };
}

/** The Slack sender of the delivery outbox (docs/slack.md, "Sending from the outbox"). */
export function createSlackSender(deps: { db: Db; config: Config; log: FastifyBaseLogger }): SendSlackMessage {
  const repo = createSlackRepository(deps.db);
  const box = createSecretBox(deps.config.secretsKey);
  const callSlack = createSlackApi({ baseUrl: deps.config.slack.apiBase, timeoutMs: deps.config.slack.timeoutMs, log: deps.log });

  return async (orgId, unitId, target, message) => {
    try {
      const connection = await repo.findConnection({ orgId, unitId });
      if (!connection) return { ok: false, error: 'not_connected', retryable: false };
      const to = target ?? defaultTarget(connection);
      if (!to) return { ok: false, error: 'no_target', retryable: false };
      const sent = await postToTarget(callSlack, openBotToken(box, connection), to, message);
      return { ok: true, httpStatus: 200, retryable: false, ...sent };
    } catch (err) {
      return failure(err, deps.log);
    }
  };
}
