import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../http/errors.js';
import { createWindowCounter } from '../../http/rate-limit.js';

/** Failed logins an email may have in a window before it is locked until the window ends (semantics §1). */
export const FAILED_LOGINS_PER_EMAIL = 10;
export const FAILED_LOGIN_WINDOW_MS = 15 * 60_000;
const ADDRESS_WINDOW_MS = 60_000;

function refuse(reply: FastifyReply, retryAfterSeconds: number, message: string): never {
  reply.header('retry-after', String(retryAfterSeconds));
  throw new AppError('rate_limited', message);
}

/**
 * Abuse limits of the public auth routes, on whatever RATE_LIMIT_MODE says (that mode governs API
 * traffic): every login or signup attempt counts against the client address, and failed logins
 * against the email, which is then locked (even for the right password) until its window ends.
 * Failures of unknown emails count too, so a lock tells nothing about whether an account exists.
 * In memory, per process, like the API limiter.
 */
export function createAuthLimits(cfg: { perAddressPerMinute: number }) {
  const attempts = createWindowCounter({ limit: cfg.perAddressPerMinute, windowMs: ADDRESS_WINDOW_MS });
  const failures = createWindowCounter({ limit: FAILED_LOGINS_PER_EMAIL, windowMs: FAILED_LOGIN_WINDOW_MS });

  return {
    /** onRequest hook of POST /auth/login and /auth/signup, before the body is even validated. */
    async countAttempt(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const wait = attempts.take(request.ip);
      if (wait > 0) refuse(reply, wait, 'too many sign-in attempts from this address; retry later');
    },
    /**
     * Counts a login as failed before the password is checked, so concurrent attempts cannot slip
     * past the limit while their hashes run; a success forgets the email's failures.
     */
    beginLogin(email: string, reply: FastifyReply): void {
      const wait = failures.take(email);
      if (wait > 0) refuse(reply, wait, 'too many failed logins for this email; retry later');
    },
    loginSucceeded(email: string): void {
      failures.reset(email);
    },
  };
}

export type AuthLimits = ReturnType<typeof createAuthLimits>;
