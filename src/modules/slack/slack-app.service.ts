import type { SecretBox } from '../../auth/secret-box.js';
import { SecretBoxError } from '../../auth/secret-box.js';
import { AppError } from '../../http/errors.js';
import { appSecretContext } from './slack.delivery.js';
import type { SlackApp, SlackRepository } from './slack.repository.js';
import { DEFAULT_SCOPES, type SlackAppBody } from './slack.schemas.js';

/** The organization's Slack app: client id and scopes in the clear, client secret sealed. */
export function createSlackAppService(deps: { repo: Pick<SlackRepository, 'findApp' | 'upsertApp'>; box: SecretBox }) {
  const { repo, box } = deps;
  return {
    get: (orgId: string) => repo.findApp(orgId),

    put(orgId: string, memberId: string | null, body: SlackAppBody) {
      return repo.upsertApp({
        org_id: orgId,
        client_id: body.client_id,
        client_secret_sealed: box.seal(body.client_secret, appSecretContext(orgId)),
        scopes: (body.scopes ?? DEFAULT_SCOPES).join(','),
        redirect_uri: body.redirect_uri ?? null,
        updated_by: memberId,
      });
    },

    async require(orgId: string): Promise<SlackApp> {
      const app = await repo.findApp(orgId);
      if (!app) throw new AppError('slack_not_configured', 'the organization has no Slack app configured: an org admin sets it with PUT /settings/slack-app');
      return app;
    },

    /** The client secret; one sealed under another SECRETS_KEY asks an admin to save the app again. */
    clientSecret(app: SlackApp): string {
      try {
        return box.open(app.client_secret_sealed, appSecretContext(app.org_id));
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        throw new AppError('slack_not_configured', `the stored client secret cannot be read (${err.message}): save the Slack app configuration again`);
      }
    },
  };
}

export type SlackAppService = ReturnType<typeof createSlackAppService>;
