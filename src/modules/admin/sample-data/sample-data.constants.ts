/** The tag of everything POST /admin/seed creates (semantics §10): `metadata.source` or a `source` column. */
export const SAMPLE_SOURCE = 'seed';
