import { z } from 'zod';

/** Semantics §0: `page` ≥ 1, `limit` 1..500. Beyond MAX_PAGE a list would only make the database skip rows. */
export const MAX_PAGE = 100_000;
export const MAX_LIMIT = 500;
/** The deepest row a page reaches; lists paged by `offset` stop at the same row. */
export const MAX_OFFSET = (MAX_PAGE - 1) * MAX_LIMIT;

/** `limit` with a list's own default (50 unless the route says otherwise). */
export const limitParam = (defaultLimit = 50) => z.coerce.number().int().min(1).max(MAX_LIMIT).default(defaultLimit);

/** `page` and `limit` of every paged list; extend it with the list's filters. */
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
  limit: limitParam(),
});

export const offsetParam = z.coerce.number().int().min(0).max(MAX_OFFSET).default(0);
