import type { CreatedAt, DefaultedJson, DefaultedTimestamp, Generated } from './common.js';

/** What a mapping, ruleset or rule scores: a lead's own metadata (profile) or its account's. */
export type PropertyKind = 'profile' | 'account';
export type UpdateBehavior = 'always_latest' | 'set_once' | 'append';

/** Profile and account field mappings (migrations/0040). */
export interface FieldMappingsTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  kind: PropertyKind;
  source_field: string;
  property: string;
  update_behavior: Generated<UpdateBehavior>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface PropertyRulesetsTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  kind: PropertyKind;
  name: string;
  enabled: Generated<boolean>;
  is_primary: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface PropertyRulesTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  ruleset_id: string;
  property: string;
  condition: string;
  comparison_value: string;
  weight: number;
  ui_order: Generated<number>;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

/** Accounts (migrations/0041); leads.account_id holds an account's id. */
export interface AccountsTable {
  org_id: string;
  unit_id: string;
  id: Generated<string>;
  domain: string | null;
  name: string | null;
  metadata: DefaultedJson;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
}

export interface AccountsTables {
  field_mappings: FieldMappingsTable;
  property_rulesets: PropertyRulesetsTable;
  property_rules: PropertyRulesTable;
  accounts: AccountsTable;
}
