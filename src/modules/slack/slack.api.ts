import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type Logger,
} from '@slack/web-api';
import type { FastifyBaseLogger } from 'fastify';

/**
 * A failed Slack Web API call, whatever failed: Slack's own `error` code (`channel_not_found`,
 * `ratelimited`…), or ours for the transport: `http_<status>`, `request_failed` (refused, reset,
 * timed out), `invalid_response` (a body that is not Slack's JSON).
 */
export class SlackCallError extends Error {
  constructor(
    readonly slackError: string,
    readonly httpStatus: number | undefined,
    readonly retryAfterSeconds?: number,
  ) {
    super(`Slack answered ${slackError}`);
  }
}

export type SlackResult = Record<string, unknown> & { ok: boolean };

export interface SlackApiOptions {
  /** SLACK_API_BASE: every call goes here (semantics §7), so tests can point it at a fake server. */
  baseUrl: string;
  timeoutMs: number;
  log: FastifyBaseLogger;
}

/** The client's own logging, into ours at debug level: our callers log what matters once. */
function clientLogger(log: FastifyBaseLogger): Logger {
  const write = (...msg: unknown[]) => log.debug({ slack: msg.map(String).join(' ') }, 'slack web api');
  return { debug: () => {}, info: () => {}, warn: write, error: write, setLevel: () => {}, getLevel: () => LogLevel.WARN, setName: () => {} };
}

/** Slack's error codes are snake_case words; anything else is a body that was not Slack's JSON. */
const SLACK_ERROR_CODE = /^[a-z][a-z0-9_.]{0,99}$/;

function toCallError(err: unknown): SlackCallError {
  if (err instanceof WebAPIPlatformError) {
    const code = err.data.error;
    return new SlackCallError(typeof code === 'string' && SLACK_ERROR_CODE.test(code) ? code : 'invalid_response', 200);
  }
  if (err instanceof WebAPIRateLimitedError) return new SlackCallError('ratelimited', 429, err.retryAfter);
  if (err instanceof WebAPIHTTPError) {
    const status = err.statusCode;
    const retryAfter = Number.parseInt(err.headers['retry-after'] ?? '', 10);
    return new SlackCallError(status === 429 ? 'ratelimited' : `http_${status}`, status, Number.isNaN(retryAfter) ? undefined : retryAfter);
  }
  if (err instanceof WebAPIRequestError) return new SlackCallError('request_failed', undefined);
  return new SlackCallError('invalid_response', undefined);
}

/** How Node's fetch fails when it reuses a kept-alive socket the server has just closed. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function isStaleSocket(err: unknown): boolean {
  if (!(err instanceof WebAPIRequestError)) return false;
  const cause = (err.original as Error & { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' && STALE_SOCKET.has(cause.code);
}

/**
 * Slack Web API calls through the official client, pointed at SLACK_API_BASE. The client's own
 * retries are off: a route answers at once, and the delivery outbox owns retries and backoff.
 */
export function createSlackApi(options: SlackApiOptions) {
  const slackApiUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  const logger = clientLogger(options.log);

  return async function callSlack(method: string, token: string | undefined, args: Record<string, unknown>): Promise<SlackResult> {
    const client = new WebClient(token, {
      slackApiUrl,
      logger,
      timeout: options.timeoutMs,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      allowAbsoluteUrls: false,
    });
    // fetch may reuse a pooled connection the server closed a moment ago (nodejs/undici#3492): one
    // immediate retry on a fresh connection, no worse than the outbox's own retry of a failed send.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return (await client.apiCall(method, args)) as SlackResult;
      } catch (err) {
        if (attempt === 1 && isStaleSocket(err)) continue;
        throw toCallError(err);
      }
    }
  };
}

export type CallSlack = ReturnType<typeof createSlackApi>;
