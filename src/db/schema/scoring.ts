/** Scoring tables (rulesets, rules, levels, decays, filters, surge policy, score rows): issue 4. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ScoringTables {}
