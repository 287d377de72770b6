/**
 * The database schema as Kysely sees it: one interface per table, mirroring migrations/, grouped
 * by area in ./schema/. Modules alias Selectable/Insertable/Updateable of these (house rule 9).
 */
import type { DealsTables } from './schema/deals.js';
import type { AccountsTables } from './schema/accounts.js';
import type { EventsTables } from './schema/events.js';
import type { JobsTables } from './schema/jobs.js';
import type { ScoringTables } from './schema/scoring.js';
import type { SegmentsTables } from './schema/segments.js';
import type { SlackTables } from './schema/slack.js';
import type { TenancyTables } from './schema/tenancy.js';
import type { UsageTables } from './schema/usage.js';
import type { TriggersTables } from './schema/triggers.js';

export type * from './schema/accounts.js';
export type * from './schema/common.js';
export type * from './schema/deals.js';
export type * from './schema/events.js';
export type * from './schema/jobs.js';
export type * from './schema/scoring.js';
export type * from './schema/segments.js';
export type * from './schema/slack.js';
export type * from './schema/tenancy.js';
export type * from './schema/usage.js';
export type * from './schema/triggers.js';

export interface DB extends TenancyTables, EventsTables, ScoringTables, SegmentsTables, JobsTables, SlackTables, DealsTables, UsageTables, TriggersTables, AccountsTables {}
