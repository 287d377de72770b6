/** PostgreSQL error codes we act on; both pg and PGlite errors carry `code`. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code !== '23505') return false;
  return constraint === undefined || e.constraint === constraint || (e.message ?? '').includes(constraint);
}

export function isInvalidTextRepresentation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === '22P02';
}
