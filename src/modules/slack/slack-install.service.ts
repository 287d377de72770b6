import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Tenant } from '../../auth/tenant.js';
import type { Config } from '../../config.js';
import { AppError, forbidden } from '../../http/errors.js';
import { SlackCallError, type CallSlack, type SlackResult } from './slack.api.js';
import type { SlackAppService } from './slack-app.service.js';
import { botTokenContext } from './slack.delivery.js';
import { oauthFailure } from './slack-errors.js';
import type { NewSlackConnection, SlackRepository } from './slack.repository.js';
import type { SecretBox } from '../../auth/secret-box.js';

/** How long a started install may take (the state's life). */
export const STATE_TTL_SECONDS = 600;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

const invalidState = () =>
  new AppError('invalid_oauth_state', 'the installation state is unknown, already used or expired: start the Slack installation again');

function sameBinding(binding: string | undefined, expected: string): boolean {
  return binding !== undefined && binding.length === expected.length && timingSafeEqual(Buffer.from(binding), Buffer.from(expected));
}

export interface SlackInstallDeps {
  repo: Pick<SlackRepository, 'insertState' | 'purgeExpiredStates' | 'takeState' | 'mayInstall' | 'upsertConnection'>;
  apps: SlackAppService;
  box: SecretBox;
  callSlack: CallSlack;
  config: Config['slack'];
}

/** The connection row an oauth.v2.access answer describes; an answer without a bot token is not Slack's. */
function connectionOf(tenant: Tenant, memberId: string, result: SlackResult, box: SecretBox): NewSlackConnection {
  const team = result.team as { id?: unknown; name?: unknown } | null | undefined;
  const token = result.access_token;
  if (typeof token !== 'string' || token === '' || typeof team?.id !== 'string') throw new SlackCallError('invalid_response', 200);
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    org_id: tenant.orgId,
    unit_id: tenant.unitId,
    team_id: team.id,
    team_name: text(team.name),
    bot_user_id: text(result.bot_user_id),
    app_id: text(result.app_id),
    scope: text(result.scope),
    bot_token_sealed: box.seal(token, botTokenContext(tenant)),
    installed_by: memberId,
  };
}

/** OAuth v2 install of the organization's Slack app into one OU (docs/slack.md). */
export function createSlackInstallService(deps: SlackInstallDeps) {
  const { repo, apps, config } = deps;

  /** The OU and member a state was made for; the state is gone after this, whatever follows. */
  async function takeState(state: string): Promise<Tenant & { memberId: string }> {
    const orgId = state.slice(0, state.indexOf('.'));
    if (!UUID.test(orgId)) throw invalidState();
    const row = await repo.takeState(orgId, hashState(state));
    if (!row?.fresh) throw invalidState();
    return { orgId, unitId: row.unit_id, memberId: row.member_id };
  }

  async function exchange(orgId: string, code: string): Promise<SlackResult> {
    const app = await apps.require(orgId);
    const args = { client_id: app.client_id, client_secret: apps.clientSecret(app), code, ...(app.redirect_uri ? { redirect_uri: app.redirect_uri } : {}) };
    try {
      return await deps.callSlack('oauth.v2.access', undefined, args);
    } catch (err) {
      throw err instanceof SlackCallError ? oauthFailure(err) : err;
    }
  }

  return {
    /**
     * A new single-use state for the OU and member: Slack's authorize URL that carries it, and the
     * binding (the state's hash) the browser keeps in a cookie until the callback.
     */
    async begin(tenant: Tenant, memberId: string): Promise<{ authorizeUrl: string; binding: string }> {
      const app = await apps.require(tenant.orgId);
      await repo.purgeExpiredStates(tenant.orgId);
      // The org id leads the state so the unauthenticated callback finds the row by its key.
      const state = `${tenant.orgId}.${randomBytes(32).toString('base64url')}`;
      await repo.insertState({ org_id: tenant.orgId, unit_id: tenant.unitId, member_id: memberId, state_hash: hashState(state), ttlSeconds: STATE_TTL_SECONDS });
      const url = new URL(config.authorizeUrl);
      url.searchParams.set('client_id', app.client_id);
      url.searchParams.set('scope', app.scopes);
      url.searchParams.set('state', state);
      if (app.redirect_uri) url.searchParams.set('redirect_uri', app.redirect_uri);
      return { authorizeUrl: url.toString(), binding: hashState(state) };
    },

    /**
     * Slack's redirect back: takes the state, exchanges the code, stores the OU's connection. Only
     * the browser that began the install (`binding` from its cookie) may finish it, so a state
     * lured into someone else's browser connects nothing.
     */
    async complete(query: { state: string; code?: string | undefined; error?: string | undefined }, binding: string | undefined): Promise<void> {
      if (!sameBinding(binding, hashState(query.state))) {
        throw new AppError('invalid_oauth_state', 'this browser did not begin the Slack installation (its install cookie is missing or for another one): start it again here');
      }
      const bound = await takeState(query.state);
      if (query.error) throw new AppError('slack_oauth_failed', `the Slack installation was not approved (${query.error})`);
      if (!query.code) throw new AppError('bad_request', 'the callback carries neither a code nor an error');
      if (!(await repo.mayInstall(bound.orgId, bound.unitId, bound.memberId))) {
        throw forbidden('the member who started this installation may no longer install Slack in its OU');
      }
      const result = await exchange(bound.orgId, query.code);
      let row: NewSlackConnection;
      try {
        row = connectionOf(bound, bound.memberId, result, deps.box);
      } catch (err) {
        throw err instanceof SlackCallError ? oauthFailure(err) : err;
      }
      await repo.upsertConnection(row);
    },
  };
}

export type SlackInstallService = ReturnType<typeof createSlackInstallService>;
