import { z } from 'zod';
import type { SlackApp, SlackConnection } from './slack.repository.js';

/** Bot scopes asked for when an app configuration names none: post, list channels and users, open DMs. */
export const DEFAULT_SCOPES = ['chat:write', 'channels:read', 'groups:read', 'users:read', 'im:write'];

const slackScope = z.string().regex(/^[a-z][a-z0-9_.:-]{0,99}$/, 'a Slack scope such as chat:write');
const httpUrl = z
  .string()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const slackAppBody = z.object({
  client_id: z.string().trim().min(1).max(200),
  client_secret: z.string().min(1).max(500),
  scopes: z.array(slackScope).min(1).max(50).optional().describe(`Bot scopes asked for at install (default ${DEFAULT_SCOPES.join(', ')})`),
  redirect_uri: httpUrl.nullable().optional().describe("This server's /integrations/slack/callback as the Slack app lists it; absent: Slack's first configured URL"),
});
export type SlackAppBody = z.infer<typeof slackAppBody>;

export const slackAppSchema = z
  .object({
    configured: z.boolean(),
    client_id: z.string().nullable(),
    client_secret_set: z.boolean().describe('The secret is stored encrypted and never returned'),
    scopes: z.array(z.string()),
    redirect_uri: z.string().nullable(),
    updated_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SlackApp' });

export function toSlackApp(app: SlackApp | undefined): z.infer<typeof slackAppSchema> {
  return {
    configured: app !== undefined,
    client_id: app?.client_id ?? null,
    client_secret_set: app !== undefined,
    scopes: app ? app.scopes.split(',') : DEFAULT_SCOPES,
    redirect_uri: app?.redirect_uri ?? null,
    updated_at: app ? app.updated_at.toISOString() : null,
  };
}

export const targetKind = z.enum(['channel', 'user']);
/** Slack ids: channels C…/G…/D…, users U…/W…, upper-case letters and digits. */
const slackId = z.string().regex(/^[A-Z0-9]{2,40}$/, 'a Slack channel or user id such as C0123456789');

export const statusSchema = z
  .object({
    connected: z.boolean(),
    team_name: z.string().nullable(),
    team_id: z.string().nullable(),
    bot_user_id: z.string().nullable(),
    updated_at: z.iso.datetime().nullable(),
    default_target_kind: targetKind.nullable(),
    default_target_id: z.string().nullable(),
    authorize_url: z.string().nullable().describe('Where a browser starts an install (GET /integrations/slack/install) when the app is configured'),
  })
  .meta({ id: 'SlackStatus' });

export const INSTALL_PATH = '/integrations/slack/install';

export function toStatus(connection: SlackConnection | undefined, appConfigured: boolean): z.infer<typeof statusSchema> {
  return {
    connected: connection !== undefined,
    team_name: connection?.team_name ?? null,
    team_id: connection?.team_id ?? null,
    bot_user_id: connection?.bot_user_id ?? null,
    updated_at: connection ? connection.updated_at.toISOString() : null,
    default_target_kind: connection?.default_target_kind ?? null,
    default_target_id: connection?.default_target_id ?? null,
    authorize_url: appConfigured ? INSTALL_PATH : null,
  };
}

export const authorizeSchema = z.object({ authorize_url: z.string() });

export const callbackQuery = z.object({
  state: z.string().min(1).max(500),
  code: z.string().min(1).max(500).optional(),
  error: z.string().min(1).max(200).optional().describe('Set by Slack when the user cancelled'),
});

const cursor = z.string().min(1).max(500).optional().describe("Slack's next_cursor from the previous page");

const CHANNEL_TYPES = ['public_channel', 'private_channel', 'mpim', 'im'] as const;
export const channelsQuery = z.object({
  types: z
    .string()
    .regex(new RegExp(`^(${CHANNEL_TYPES.join('|')})(,(${CHANNEL_TYPES.join('|')}))*$`), `a comma-separated list of ${CHANNEL_TYPES.join(', ')}`)
    .default('public_channel,private_channel'),
  exclude_archived: z.enum(['true', 'false']).default('true'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor,
});

export const usersQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200), cursor });

/** Slack's answer as it came: the list, and the cursor of the next page in response_metadata. */
const slackItems = z.array(z.record(z.string(), z.unknown()));
const responseMetadata = z.looseObject({ next_cursor: z.string().optional() }).optional();
export const channelsSchema = z.looseObject({ ok: z.boolean(), channels: slackItems, response_metadata: responseMetadata }).meta({ id: 'SlackChannels' });
export const usersSchema = z.looseObject({ ok: z.boolean(), members: slackItems, response_metadata: responseMetadata }).meta({ id: 'SlackUsers' });

export const targetBody = z.object({ kind: targetKind, id: slackId });
export type SlackTarget = z.infer<typeof targetBody>;

export const testBody = targetBody.extend({ text: z.string().min(1).max(4000).optional().describe('Optional custom message') });

export const testResultSchema = z.object({
  ok: z.literal(true),
  channel: z.string().describe('The channel (or DM) the message went to'),
  ts: z.string().describe("Slack's timestamp id of the message"),
});
