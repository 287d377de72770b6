import { errorBodySchema } from './errors.js';

/** The error envelope for each listed status, for a route's `response` schema (house rule 5). */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorBodySchema])) as Record<S, typeof errorBodySchema>;
}
