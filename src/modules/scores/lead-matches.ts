import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Tenant } from '../../auth/tenant.js';
import type { Db } from '../../db/database.js';
import { leadHasEvent } from '../events/event-match.js';
import type { LeadRefs } from '../segments/segment-compiler.js';
import { createScoresRepository, leadsWithScores, levelOf } from './scores.repository.js';

/** The OU's live leads with their primary score, level and last event, filtered by `matching`. */
function matchingRows(db: Db, t: Tenant, rulesetId: string | null, matching: LeadPredicate) {
  const { query, score } = leadsWithScores(db, t, rulesetId);
  const refs: LeadRefs = {
    metadata: sql.ref('l.metadata'),
    score,
    level: levelOf('l', score),
    createdAt: sql.ref('l.created_at'),
    lastEventAt: sql.ref('st.last_event_at'),
    accountId: sql.ref('l.account_id'),
    hasEvent: (eventType, path, test) =>
      leadHasEvent({ orgId: sql.ref('l.org_id'), unitId: sql.ref('l.unit_id'), leadId: sql.ref('l.id') }, eventType, path, test),
  };
  return { query: query.where(matching(refs)), score };
}

export type LeadPredicate = (refs: LeadRefs) => RawBuilder<SqlBool>;

/** A row of the lead read model as the API shows it (LeadScoreItem). */
export function toLeadScoreItem(r: {
  id: string;
  score: number | string;
  level: string | null;
  last_event_at: Date | null;
  last_event_type: string | null;
  account_id: string | null;
  metadata: unknown;
  created_at: Date;
}) {
  return {
    lead_id: r.id,
    score: Number(r.score),
    level: r.level,
    last_event_at: r.last_event_at ? r.last_event_at.toISOString() : null,
    last_event_type: r.last_event_type,
    account_id: r.account_id,
    metadata: (r.metadata ?? {}) as Record<string, unknown>,
    created_at: r.created_at.toISOString(),
  };
}

/** The leads a predicate over the lead read model selects, scored by the primary ruleset (segments, semantics §6). */
export function createLeadMatchesService(db: Db) {
  const repo = createLeadMatches(db);
  const scores = createScoresRepository(db);
  const primaryId = async (t: Tenant) => (await scores.findRuleset(t, 'primary'))?.id ?? null;
  return {
    async count(t: Tenant, matching: LeadPredicate) {
      return repo.count(t, await primaryId(t), matching);
    },
    async page(t: Tenant, matching: LeadPredicate, page: number, limit: number) {
      return (await repo.page(t, await primaryId(t), matching, page, limit)).map(toLeadScoreItem);
    },
  };
}

function createLeadMatches(db: Db) {
  return {
    async count(t: Tenant, rulesetId: string | null, matching: LeadPredicate) {
      const { query } = matchingRows(db, t, rulesetId, matching);
      const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    page(t: Tenant, rulesetId: string | null, matching: LeadPredicate, page: number, limit: number) {
      const { query, score } = matchingRows(db, t, rulesetId, matching);
      return query
        .select(['l.id', 'l.created_at', 'l.account_id', 'l.metadata', 'st.last_event_at', 'st.last_event_type', score.as('score')])
        .select(levelOf('l', score).as('level'))
        .orderBy(sql`${score} desc`)
        .orderBy('l.id')
        .limit(limit)
        .offset((page - 1) * limit)
        .execute();
    },
  };
}
