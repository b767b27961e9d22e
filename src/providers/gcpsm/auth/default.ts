/**
 * No auth block: Google's application default credentials, as ESO falls
 * back to them. Hush supports the two forms a controller meets: a service
 * account key file named by GOOGLE_APPLICATION_CREDENTIALS, and the node's
 * (or GKE workload identity's) token from the metadata server. Both are the
 * controller's own identity, so the credential policy must allow it for the
 * store (see ../../ambient.ts).
 */
import { readFile } from 'node:fs/promises';
import { InvalidConfigError } from '../../../util/errors.ts';
import { METADATA_HEADERS } from './metadata.ts';
import { exchangeServiceAccountKey, parseServiceAccountKey, accessTokenFrom } from './serviceaccountkey.ts';
import { CLOUD_PLATFORM_SCOPE, observed, type AccessToken, type GcpAuthContext, type GcpAuthMethod } from './types.ts';
import type { AmbientUse } from '../../ambient.ts';

export const DEFAULT_CREDENTIALS_USE: AmbientUse = {
  field: 'spec.provider.gcpsm.auth',
  credential: "the controller's own Google identity (no auth block: GOOGLE_APPLICATION_CREDENTIALS or the metadata server)",
  instead: 'spec.provider.gcpsm.auth.secretRef or spec.provider.gcpsm.auth.workloadIdentity (a ServiceAccount of the store\'s namespace)',
};

export function defaultCredentialsAuth(env: NodeJS.ProcessEnv = process.env): GcpAuthMethod {
  return {
    name: 'default credentials',
    async fetchToken(ctx: GcpAuthContext, signal: AbortSignal): Promise<AccessToken> {
      ctx.credentials.requireAmbient(DEFAULT_CREDENTIALS_USE);
      const file = env.GOOGLE_APPLICATION_CREDENTIALS;
      if (file) {
        let json: string;
        try {
          json = await readFile(file, 'utf8');
        } catch {
          throw new InvalidConfigError(`gcpsm: GOOGLE_APPLICATION_CREDENTIALS names ${file}, which cannot be read`);
        }
        const key = parseServiceAccountKey(json, `gcpsm: GOOGLE_APPLICATION_CREDENTIALS (${file})`);
        return observed(ctx, 'GenerateAccessToken', () => exchangeServiceAccountKey(ctx, key, signal));
      }
      return observed(ctx, 'GenerateAccessToken', async () => {
        const body = await ctx.http.call({
          url: `${ctx.endpoints.metadataUrl}/instance/service-accounts/default/token?scopes=${encodeURIComponent(CLOUD_PLATFORM_SCOPE)}`,
          method: 'GET',
          headers: METADATA_HEADERS,
          what: 'default credentials from the metadata server (no auth block in the store; outside Google Cloud set auth.secretRef or auth.workloadIdentity)',
          signal,
        });
        return accessTokenFrom(body, 'access_token', 'the metadata server');
      });
    },
  };
}
