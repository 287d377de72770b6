import type { CreatedAt, Generated, Timestamp } from './common.js';

export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  slug: string;
  allow_negative_scores: Generated<boolean>;
  abm_enabled: Generated<boolean>;
  webhook_secret: string;
  webhook_secret_rotated_at: Generated<Date>;
  created_at: CreatedAt;
}

export interface OrgUnitsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  slug: string;
  session_timeout_minutes: Generated<number>;
  /** Event types that count as conversions in session attribution (semantics §9; migrations/0066). */
  conversion_event_types: Generated<string[]>;
  created_at: CreatedAt;
}

export interface MembersTable {
  id: Generated<string>;
  org_id: string;
  email: string;
  first_name: string;
  last_name: string;
  password_hash: string;
  role: 'admin' | 'member';
  verified: Generated<boolean>;
  created_at: CreatedAt;
  /** Carried in every JWT; bumping it ends every token of the member. */
  token_version: Generated<number>;
}

export interface OuMembershipsTable {
  org_id: string;
  unit_id: string;
  member_id: string;
  role: 'Owner' | 'Operator' | 'Viewer';
  created_at: CreatedAt;
}

export interface ApiCredentialsTable {
  id: Generated<string>;
  org_id: string;
  unit_id: string;
  name: string;
  client_id: string;
  secret_hash: string;
  created_by: string | null;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
}

export interface AuditLogsTable {
  id: Generated<number>;
  org_id: string;
  unit_id: string | null;
  member_id: string | null;
  user_email: string | null;
  method: string;
  path: string;
  status: number;
  latency_ms: number;
  ip: string | null;
  request_id: string | null;
  created_at: CreatedAt;
}

/** Sessions ended by logout, kept until their token expires. */
export interface RevokedSessionsTable {
  org_id: string;
  session_id: string;
  expires_at: Timestamp;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: CreatedAt;
}

export interface TenancyTables {
  organizations: OrganizationsTable;
  org_units: OrgUnitsTable;
  members: MembersTable;
  ou_memberships: OuMembershipsTable;
  api_credentials: ApiCredentialsTable;
  audit_logs: AuditLogsTable;
  revoked_sessions: RevokedSessionsTable;
  schema_migrations: SchemaMigrationsTable;
}
