import { sql, type Expression, type SqlBool } from 'kysely';
import { windowSql, type DateWindow } from '../../http/date-window.js';
import type { Db } from '../../db/database.js';
import { onOutcome, scoredAt, shownMetadata } from '../../db/event-outcomes.js';
import type { Tenant } from '../../auth/tenant.js';

export interface LeadListFilters {
  createdSince?: Date;
  createdBefore?: Date;
  minScore?: number;
  maxScore?: number;
  eventType?: string;
  activeSince?: Date;
}

/** The engagement level holding `score` in the OU of the row `alias` (computed at read time, so level edits apply at once). */
export function levelOf(alias: 'l' | 's', scoreSql: Expression<number>) {
  return sql<string | null>`(select lv.name from levels lv
    where lv.org_id = ${sql.ref(`${alias}.org_id`)} and lv.unit_id = ${sql.ref(`${alias}.unit_id`)} and lv.kind = 'engagement'
    and ${scoreSql} between lv.min_score and lv.max_score order by lv.min_score limit 1)`;
}

const NO_RULESET = '00000000-0000-0000-0000-000000000000';

/**
 * The lead read model: the OU's live (unmerged) leads as `l`, left-joined to their score under one
 * ruleset as `s` (null → every score 0) and their scoring state as `st`. `GET /leads` and the
 * segment reads (lead-matches.ts) filter and page it.
 */
export function leadsWithScores(db: Db, t: Tenant, rulesetId: string | null) {
  const score = sql<number>`coalesce(s.total_score, 0)`;
  const query = db
    .selectFrom('leads as l')
    .leftJoin('lead_scores as s', (j) =>
      j
        .onRef('s.org_id', '=', 'l.org_id')
        .onRef('s.unit_id', '=', 'l.unit_id')
        .onRef('s.lead_id', '=', 'l.id')
        .on('s.ruleset_id', '=', rulesetId ?? NO_RULESET),
    )
    .leftJoin('lead_scoring_state as st', (j) =>
      j.onRef('st.org_id', '=', 'l.org_id').onRef('st.unit_id', '=', 'l.unit_id').onRef('st.lead_id', '=', 'l.id'),
    )
    .where('l.org_id', '=', t.orgId)
    .where('l.unit_id', '=', t.unitId)
    .where('l.merged_into', 'is', null);
  return { query, score };
}

/** Reads over the scoring worker's output: lead scores, history, explanations, analytics. */
export function createScoresRepository(db: Db) {
  return {
    /** A ruleset of the OU by id or (case-insensitive) name; `primary` is the primary one. */
    findRuleset(t: Tenant, key: string) {
      return db
        .selectFrom('rulesets')
        .select(['id', 'name', 'is_primary'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where((eb) => {
          if (key === 'primary') return eb('is_primary', '=', true);
          const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key);
          const byName = eb(eb.fn('lower', ['name']), '=', key.toLowerCase());
          return isUuid ? eb.or([eb('id', '=', key), byName]) : byName;
        })
        .orderBy('is_primary', 'desc')
        .executeTakeFirst();
    },

    async listLeads(t: Tenant, rulesetId: string | null, f: LeadListFilters, page: number, limit: number) {
      const { query, score } = leadsWithScores(db, t, rulesetId);
      const base = query
        .$if(f.createdSince !== undefined, (q) => q.where('l.created_at', '>=', f.createdSince as Date))
        .$if(f.createdBefore !== undefined, (q) => q.where('l.created_at', '<', f.createdBefore as Date))
        .$if(f.minScore !== undefined, (q) => q.where(sql<SqlBool>`${score} >= ${f.minScore}`))
        .$if(f.maxScore !== undefined, (q) => q.where(sql<SqlBool>`${score} <= ${f.maxScore}`))
        .$if(f.eventType !== undefined, (q) => q.where('st.last_event_type', '=', f.eventType as string))
        .$if(f.activeSince !== undefined, (q) => q.where('st.last_event_at', '>=', f.activeSince as Date));
      const [rows, count] = await Promise.all([
        base
          .select([
            'l.id',
            'l.created_at',
            'l.account_id',
            'l.metadata',
            'st.last_event_at',
            'st.last_event_type',
            score.as('score'),
            levelOf('l', score).as('level'),
          ])
          .orderBy(sql`${score} desc`)
          .orderBy('l.id')
          .limit(limit)
          .offset((page - 1) * limit)
          .execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },

    /** Scores of the given leads under one ruleset (null → all 0 with the level of 0). */
    scoresOf(t: Tenant, leadIds: string[], rulesetId: string | null) {
      const score = sql<number>`coalesce(s.total_score, 0)`;
      return db
        .selectFrom('leads as l')
        .leftJoin('lead_scores as s', (j) =>
          j
            .onRef('s.org_id', '=', 'l.org_id')
            .onRef('s.unit_id', '=', 'l.unit_id')
            .onRef('s.lead_id', '=', 'l.id')
            .on('s.ruleset_id', '=', rulesetId ?? NO_RULESET),
        )
        .select(['l.id', score.as('score'), levelOf('l', score).as('level'), 's.last_event_at'])
        .where('l.org_id', '=', t.orgId)
        .where('l.unit_id', '=', t.unitId)
        .where('l.id', 'in', leadIds)
        .execute();
    },

    /** The lead's highest score across the OU's rulesets (0 without any score row). */
    async highestScore(t: Tenant, leadId: string) {
      const row = await db
        .selectFrom('lead_scores as s')
        .innerJoin('rulesets as r', (j) => j.onRef('r.org_id', '=', 's.org_id').onRef('r.id', '=', 's.ruleset_id'))
        .select(['s.total_score', 's.ruleset_id'])
        .where('s.org_id', '=', t.orgId)
        .where('s.unit_id', '=', t.unitId)
        .where('s.lead_id', '=', leadId)
        .orderBy('s.total_score', 'desc')
        .orderBy('r.is_primary', 'desc')
        .executeTakeFirst();
      return row ?? null;
    },
    async levelFor(t: Tenant, score: number): Promise<string | null> {
      const row = await db
        .selectFrom('levels')
        .select('name')
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('kind', '=', 'engagement')
        .where('min_score', '<=', score)
        .where('max_score', '>=', score)
        .orderBy('min_score')
        .executeTakeFirst();
      return row?.name ?? null;
    },

    history(t: Tenant, leadId: string, rulesetId: string | undefined, window: DateWindow) {
      return db
        .selectFrom('score_history')
        .select(['lead_id', 'ruleset_id', 'event_id', 'score', 'delta', 'occurred_at', 'created_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('lead_id', '=', leadId)
        .$if(rulesetId !== undefined, (q) => q.where('ruleset_id', '=', rulesetId as string))
        .where(windowSql('occurred_at', window))
        .orderBy('occurred_at')
        .orderBy('id')
        .limit(10_000)
        .execute();
    },

    findEvent(t: Tenant, eventId: string) {
      return db
        .selectFrom('events as e')
        .leftJoin('event_outcomes as o', onOutcome('e'))
        .select(['e.id', 'e.lead_id', 'e.event_type', 'e.occurred_at', scoredAt('e').as('scored_at'), shownMetadata('e').as('metadata')])
        .where('e.org_id', '=', t.orgId)
        .where('e.unit_id', '=', t.unitId)
        .where('e.id', '=', eventId)
        .executeTakeFirst();
    },
    eventScores(t: Tenant, eventId: string) {
      return db
        .selectFrom('event_scores as s')
        .innerJoin('rulesets as r', (j) => j.onRef('r.org_id', '=', 's.org_id').onRef('r.id', '=', 's.ruleset_id'))
        .select(['s.ruleset_id', 'r.name', 'r.is_primary', 's.rules', 's.base', 's.multiplier', 's.delta', 's.score_before', 's.score_after', 's.inorganic', 's.surged', 's.session_events'])
        .where('s.org_id', '=', t.orgId)
        .where('s.unit_id', '=', t.unitId)
        .where('s.event_id', '=', eventId)
        .orderBy('r.is_primary', 'desc')
        .orderBy('r.created_at')
        .execute();
    },

    /** Score rows of a lead's events in one ruleset since `since`: the raw material of lead explain. */
    leadScoreRows(t: Tenant, leadId: string, rulesetId: string, since: Date) {
      return db
        .selectFrom('event_scores')
        .select(['event_id', 'event_type', 'base', 'multiplier', 'delta', 'surged', 'decay_id', 'occurred_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('lead_id', '=', leadId)
        .where('ruleset_id', '=', rulesetId)
        .where('occurred_at', '>=', since)
        .orderBy('occurred_at')
        .execute();
    },
    rulesOf(t: Tenant, rulesetId: string) {
      return db
        .selectFrom('scoring_rules')
        .select(['id', 'event_type', 'weight', 'active', 'start_at', 'end_at'])
        .where('org_id', '=', t.orgId)
        .where('unit_id', '=', t.unitId)
        .where('ruleset_id', '=', rulesetId)
        .orderBy('weight', 'desc')
        .orderBy('id')
        .execute();
    },

    topLeads(t: Tenant, rulesetId: string, limit: number) {
      return db
        .selectFrom('lead_scores as s')
        .select(['s.lead_id', 's.total_score', 's.last_event_at', levelOf('s', sql.ref('s.total_score')).as('level')])
        .where('s.org_id', '=', t.orgId)
        .where('s.unit_id', '=', t.unitId)
        .where('s.ruleset_id', '=', rulesetId)
        .orderBy('s.total_score', 'desc')
        .orderBy('s.lead_id')
        .limit(limit)
        .execute();
    },
    /** Leads by the sum of their positive-sum deltas since `since` in one ruleset. */
    scoreGains(t: Tenant, rulesetId: string, since: Date, limit: number) {
      return db
        .selectFrom('event_scores as e')
        .innerJoin('lead_scores as s', (j) =>
          j
            .onRef('s.org_id', '=', 'e.org_id')
            .onRef('s.unit_id', '=', 'e.unit_id')
            .onRef('s.lead_id', '=', 'e.lead_id')
            .onRef('s.ruleset_id', '=', 'e.ruleset_id'),
        )
        .select((eb) => [
          'e.lead_id',
          sql<number>`sum(e.delta)::int`.as('gain'),
          eb.fn.countAll<number>().as('events'),
          's.total_score',
          levelOf('s', sql.ref('s.total_score')).as('level'),
          sql<Date>`max(e.occurred_at)`.as('last_gain_at'),
        ])
        .where('e.org_id', '=', t.orgId)
        .where('e.unit_id', '=', t.unitId)
        .where('e.ruleset_id', '=', rulesetId)
        .where('e.occurred_at', '>=', since)
        .groupBy(['e.lead_id', 's.total_score', 's.org_id', 's.unit_id'])
        .having(sql<SqlBool>`sum(e.delta) > 0`)
        .orderBy(sql`sum(e.delta) desc`)
        .orderBy('e.lead_id')
        .limit(limit)
        .execute();
    },
  };
}

export type ScoresRepository = ReturnType<typeof createScoresRepository>;
