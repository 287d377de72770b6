import { SecretBoxError, type SecretBox } from '../../auth/secret-box.js';
import type { Tenant } from '../../auth/tenant.js';
import { AppError } from '../../http/errors.js';
import { SlackCallError, type CallSlack } from './slack.api.js';
import type { SlackConnection } from './slack.repository.js';
import type { SlackTarget } from './slack.schemas.js';

/** What a notification says: `text` always (Slack's fallback and push text), Block Kit `blocks` optionally. */
export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

/** The associated data a sealed secret is bound to (src/auth/secret-box.ts). */
export const appSecretContext = (orgId: string) => `slack_app:${orgId}`;
export const botTokenContext = (t: Tenant) => `slack_bot_token:${t.orgId}:${t.unitId}`;

/** The OU's bot token; a token sealed under another SECRETS_KEY is a reason to install again. */
export function openBotToken(box: SecretBox, connection: SlackConnection): string {
  try {
    return box.open(connection.bot_token_sealed, botTokenContext({ orgId: connection.org_id, unitId: connection.unit_id }));
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    throw new AppError('slack_reconnect_required', `the stored bot token cannot be read (${err.message}): install the Slack app again`);
  }
}

export function defaultTarget(connection: SlackConnection): SlackTarget | null {
  const { default_target_kind: kind, default_target_id: id } = connection;
  return kind && id ? { kind, id } : null;
}

function stringField(result: Record<string, unknown>, read: (r: Record<string, unknown>) => unknown): string {
  const value = read(result);
  if (typeof value !== 'string' || value === '') throw new SlackCallError('invalid_response', 200);
  return value;
}

/** The DM channel with a user (conversations.open), where a message to a user goes. */
async function openDm(callSlack: CallSlack, token: string, userId: string): Promise<string> {
  const opened = await callSlack('conversations.open', token, { users: userId });
  return stringField(opened, (r) => (r.channel as { id?: unknown } | undefined)?.id);
}

/** Posts to a channel, or to a user's DM; throws SlackCallError. */
export async function postToTarget(callSlack: CallSlack, token: string, target: SlackTarget, message: SlackMessage) {
  const channel = target.kind === 'user' ? await openDm(callSlack, token, target.id) : target.id;
  const posted = await callSlack('chat.postMessage', token, {
    channel,
    text: message.text,
    ...(message.blocks ? { blocks: message.blocks } : {}),
  });
  return { channel: stringField(posted, (r) => r.channel), ts: stringField(posted, (r) => r.ts) };
}
