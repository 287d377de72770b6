import type { CreatedAt, DefaultedTimestamp, Timestamp } from './common.js';

export type SlackTargetKind = 'channel' | 'user';

export interface SlackAppsTable {
  org_id: string;
  client_id: string;
  client_secret_sealed: string;
  scopes: string;
  redirect_uri: string | null;
  updated_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface SlackConnectionsTable {
  org_id: string;
  unit_id: string;
  team_id: string;
  team_name: string | null;
  bot_user_id: string | null;
  app_id: string | null;
  scope: string | null;
  bot_token_sealed: string;
  installed_by: string | null;
  default_target_kind: SlackTargetKind | null;
  default_target_id: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface SlackOauthStatesTable {
  org_id: string;
  state_hash: string;
  unit_id: string;
  member_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface SlackTables {
  slack_apps: SlackAppsTable;
  slack_connections: SlackConnectionsTable;
  slack_oauth_states: SlackOauthStatesTable;
}
