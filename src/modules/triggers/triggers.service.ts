import type { Insertable, Updateable } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import type { TriggerKind, TriggersTable } from '../../db/types.js';
import { AppError, notFound, type ErrorDetail } from '../../http/errors.js';
import { isPrivateTarget } from './delivery/address-guard.js';
import { UNIT_SECONDS } from './trigger-rules.js';
import { createTriggersRepository, type TriggerRow } from './triggers.repository.js';
import type { TriggerInput } from './triggers.schemas.js';

/** The longest window a sequence, pattern or surge trigger may have: a year. */
const MAX_WINDOW_SECONDS = 366 * 86_400;

const NAMES: Record<TriggerKind, string> = { milestone: 'milestone trigger', sequence: 'sequence trigger', pattern: 'pattern trigger', surge: 'surge trigger' };

function invalid(details: ErrorDetail[]): never {
  throw new AppError('validation_failed', `invalid input: ${details.map((d) => d.field).join(', ')}`, details);
}

/** The columns an input sets (fields left out keep their value on update). */
function columnsOf(input: TriggerInput): Updateable<TriggersTable> {
  const { conditions, event_types, ...rest } = input;
  const out: Updateable<TriggersTable> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  if (event_types !== undefined) out.event_types = event_types;
  if (conditions !== undefined) out.conditions = JSON.stringify(conditions);
  return out;
}

/** What zod cannot check field by field, on the trigger as it will be stored. */
function checkMerged(kind: TriggerKind, t: Pick<TriggerRow, 'window_seconds' | 'window_unit' | 'webhook_url' | 'emails' | 'slack_target_kind' | 'slack_target_id'>, allowPrivate: boolean): void {
  const details: ErrorDetail[] = [];
  const seconds = (t.window_seconds ?? 0) * UNIT_SECONDS[t.window_unit ?? 'seconds'];
  if (kind !== 'milestone' && seconds > MAX_WINDOW_SECONDS) details.push({ field: 'window_seconds', message: 'the window may be at most 366 days' });
  if (t.webhook_url && !allowPrivate && isPrivateTarget(t.webhook_url)) {
    details.push({ field: 'webhook_url', message: 'private, loopback and link-local webhook targets are refused' });
  }
  if (kind === 'surge' && Boolean(t.webhook_url) === t.emails.length > 0) details.push({ field: 'webhook_url', message: 'exactly one destination: webhook_url or emails' });
  if (t.slack_target_kind && t.slack_target_kind !== 'default' && !t.slack_target_id) details.push({ field: 'slack_target_id', message: 'a channel or user target needs slack_target_id' });
  if (details.length > 0) invalid(details);
}

/** Defaults of a new trigger of `kind`, before the input's fields. */
function defaultsOf(kind: TriggerKind, input: TriggerInput): Partial<Insertable<TriggersTable>> {
  if (kind === 'sequence') return { ordered: true, fire_mode: 'once' };
  if (kind === 'surge') return { window_unit: 'seconds' };
  if (kind === 'milestone') return { name: `${input.event_type} ≥ ${input.score_threshold}` };
  return {};
}

export interface TriggersServiceDeps {
  db: Db;
  allowPrivateWebhooks: boolean;
}

/** CRUD of milestone, sequence, pattern and surge triggers (one table, one kind per route family). */
export function createTriggersService(deps: TriggersServiceDeps) {
  const repo = createTriggersRepository(deps.db);
  async function require(t: Tenant, kind: TriggerKind, id: string): Promise<TriggerRow> {
    const row = await repo.find(t, kind, id);
    if (!row) throw notFound(NAMES[kind]);
    return row;
  }
  return {
    require,
    list: (t: Tenant, kind: TriggerKind) => repo.list(t, kind),
    async create(t: Tenant, memberId: string | null, kind: TriggerKind, input: TriggerInput): Promise<TriggerRow> {
      const row = { org_id: t.orgId, unit_id: t.unitId, kind, ...defaultsOf(kind, input), ...columnsOf(input), created_by: memberId, updated_by: memberId } as Insertable<TriggersTable>;
      checkMerged(kind, { window_seconds: null, window_unit: null, webhook_url: null, slack_target_kind: null, slack_target_id: null, ...(row as Partial<TriggerRow>), emails: (row.emails as string[] | undefined) ?? [] }, deps.allowPrivateWebhooks);
      return repo.create(row);
    },
    async update(t: Tenant, memberId: string | null, kind: TriggerKind, id: string, input: TriggerInput): Promise<TriggerRow> {
      const current = await require(t, kind, id);
      const patch = { ...columnsOf(input), updated_by: memberId };
      checkMerged(kind, { ...current, ...(patch as Partial<TriggerRow>) }, deps.allowPrivateWebhooks);
      const row = await repo.update(t, kind, id, patch);
      if (!row) throw notFound(NAMES[kind]);
      return row;
    },
    async remove(t: Tenant, kind: TriggerKind, id: string): Promise<void> {
      if (!(await repo.remove(t, kind, id))) throw notFound(NAMES[kind]);
    },
  };
}

export type TriggersService = ReturnType<typeof createTriggersService>;
