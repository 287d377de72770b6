import type { Db } from './database.js';

/** serialization_failure and deadlock_detected: the transaction lost a race and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export function isRetryableConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE_SQLSTATES.has(String((error as { code?: unknown }).code));
}

/** Aborts a transaction as a serialization failure, for a race it detects itself: the retry runs it again. */
export function serializationFailure(message: string): Error {
  return Object.assign(new Error(message), { code: '40001' });
}

/**
 * Runs `work` in a transaction and runs it once more when PostgreSQL aborted it as a deadlock
 * victim or for a serialization failure; nothing of the failed attempt was committed. When the
 * second attempt fails the same way the error propagates, and the error handler answers 503 with
 * Retry-After (src/http/errors.ts). `work` must have no effect outside the transaction.
 */
export async function transactionWithRetry<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    if (!isRetryableConflict(error)) throw error;
  }
  return db.transaction().execute(work);
}
