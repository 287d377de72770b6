import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isRetryableConflict } from '../db/transaction.js';

/** Machine codes of the error envelope (semantics §0) and the status each maps to. */
export const errorStatus = {
  validation_failed: 400,
  bad_request: 400,
  invalid_json: 400,
  ou_required: 400,
  unauthorized: 401,
  forbidden: 403,
  signup_disabled: 403,
  abm_disabled: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  // Slack integration (docs/slack.md).
  invalid_oauth_state: 400,
  slack_oauth_failed: 400,
  slack_rejected: 400,
  slack_not_configured: 409,
  slack_not_connected: 409,
  slack_reconnect_required: 409,
  slack_unavailable: 502,
  not_ready: 503,
  query_timeout: 503,
  contention: 503,
} as const;

/** Seconds a client is asked to wait after a 503 query_timeout. */
const QUERY_TIMEOUT_RETRY_AFTER = '2';

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorDetail {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  constructor(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    super(message);
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'you are not allowed to do this') => new AppError('forbidden', message);
export const conflict = (message: string) => new AppError('conflict', message);

/** The SQLSTATE of a database error (pg and PGlite errors carry `code`), else undefined. */
export function sqlstateOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** SQLSTATE 57014: the statement was cancelled, here by statement_timeout (DB_STATEMENT_TIMEOUT_MS). */
export function isQueryCanceled(error: unknown): boolean {
  return sqlstateOf(error) === '57014';
}

/**
 * Database errors a client's input can cause, as the answer they deserve: a data exception (class
 * 22: a value the database cannot take, which input validation should have caught) is a 400, a
 * statement cancelled by the timeout a 503. Anything else stays a 500 (null).
 */
export function fromDatabaseError(error: unknown): AppError | null {
  const sqlstate = sqlstateOf(error);
  if (!sqlstate) return null;
  if (sqlstate === '57014') return new AppError('query_timeout', 'the database took too long to answer; try again shortly');
  if (sqlstate.startsWith('22')) return new AppError('bad_request', `a value in the request cannot be stored (SQLSTATE ${sqlstate})`);
  return null;
}

export const errorBodySchema = z
  .object({
    error: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    request_id: z.string().optional(),
  })
  .meta({ id: 'Error' });

type ErrorBody = z.infer<typeof errorBodySchema>;

/** Fastify's own errors (bad JSON, body limit, content type) translated to our codes. */
function fromFastifyError(error: FastifyError): AppError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'unsupported content type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('bad_request', 'the content-length header does not match the body');
    case 'FST_ERR_BAD_URL':
      return new AppError('bad_request', 'the URL path holds a malformed percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('bad_request', 'a path segment is longer than the server accepts');
    default:
      break;
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return new AppError('payload_too_large', 'the request body is too large');
  if (status === 415) return new AppError('unsupported_media_type', 'unsupported content type');
  if (status >= 400 && status < 500) return new AppError('bad_request', error.message);
  return null;
}

function send(reply: FastifyReply, request: FastifyRequest, error: AppError) {
  const body: ErrorBody = { error: error.code, message: error.message, request_id: String(request.id) };
  if (error.details?.length) body.details = error.details;
  if ((error.code === 'rate_limited' || error.code === 'contention') && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  if (error.code === 'query_timeout') reply.header('retry-after', QUERY_TIMEOUT_RETRY_AFTER);
  return reply.code(error.status).type('application/json').serializer(JSON.stringify).send(body);
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors` option): a
 * path it cannot decode, a parameter past maxParamLength. Without it Fastify writes its own body.
 */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  return send(reply, request, fromFastifyError(error) ?? new AppError('internal_error', 'internal server error'));
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) return send(reply, request, error);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      const details = error.validation.map((issue) => ({
        field: [where, ...String(issue.instancePath).split('/').filter(Boolean)].join('.'),
        message: issue.message ?? 'invalid value',
      }));
      const list = details.map((d) => d.field).join(', ');
      return send(reply, request, new AppError('validation_failed', `invalid input: ${list}`, details));
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
      return send(reply, request, new AppError('internal_error', 'internal server error'));
    }
    if (isRetryableConflict(error)) {
      // A deadlock or serialization failure that survived transactionWithRetry's second attempt.
      request.log.warn({ err: error }, 'transaction lost a race twice');
      return send(reply, request, new AppError('contention', 'the data is being changed concurrently; retry shortly'));
    }
    const translated = fromFastifyError(error);
    if (translated) return send(reply, request, translated);
    const fromDatabase = fromDatabaseError(error);
    if (fromDatabase) {
      // Input validation should have answered before the database did: worth a look, not an alert.
      request.log.warn({ err: error }, 'database refused the request');
      return send(reply, request, fromDatabase);
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, request, new AppError('internal_error', 'internal server error'));
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, new AppError('not_found', `route ${request.method} ${request.url.split('?')[0]} not found`)),
  );
}
