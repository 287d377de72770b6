import { AppError } from '../../http/errors.js';
import type { SlackCallError } from './slack.api.js';

/** Failures that may pass: Slack's rate limit, its own outages, the network. */
const RETRYABLE = new Set(['ratelimited', 'request_failed', 'invalid_response', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** Slack refuses the OU's bot token itself: only a new install helps. */
const RECONNECT = new Set([
  'not_authed',
  'invalid_auth',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'no_permission',
  'org_login_required',
  'team_access_not_granted',
  'ekm_access_denied',
]);

export function isRetryable(err: SlackCallError): boolean {
  const status = err.httpStatus ?? 0;
  return RETRYABLE.has(err.slackError) || status === 429 || status >= 500;
}

/** A Slack answer that is not Slack's verdict on the request: a transport failure or a non-200 status. */
function isUpstreamFailure(err: SlackCallError): boolean {
  return isRetryable(err) || err.httpStatus !== 200;
}

/**
 * A failed call made for a route, as the answer the client gets: 502 when Slack (or the way to it)
 * failed, 409 when the OU must install again, else 400 with Slack's code (a bad channel id…).
 */
export function slackFailure(err: SlackCallError): AppError {
  if (isUpstreamFailure(err)) {
    const wait = err.retryAfterSeconds !== undefined ? `; retry after ${err.retryAfterSeconds} s` : '';
    return new AppError('slack_unavailable', `Slack could not be reached or failed (${err.slackError})${wait}`);
  }
  if (RECONNECT.has(err.slackError)) {
    return new AppError('slack_reconnect_required', `Slack refused this OU's bot token (${err.slackError}): install the Slack app again`);
  }
  return new AppError('slack_rejected', `Slack refused the request: ${err.slackError}`);
}

/** A failed oauth.v2.access exchange: Slack's refusal of the code or the app credentials is a 400. */
export function oauthFailure(err: SlackCallError): AppError {
  if (isUpstreamFailure(err)) return slackFailure(err);
  return new AppError('slack_oauth_failed', `Slack refused the installation (${err.slackError}); start it again`);
}
