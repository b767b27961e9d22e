/**
 * auth.kubernetes: log in with a Kubernetes service account token — minted
 * through TokenRequest (serviceAccountRef, 600 s like ESO), read from a Secret
 * (secretRef, key "token"), or the controller's own mounted token. The last
 * sends the controller's identity to the store's server, which the store's
 * author chose, so the credential policy must allow it (see ../../ambient.ts).
 */
import { readFile } from 'node:fs/promises';
import { InvalidConfigError } from '../../../util/errors.ts';
import { readSecretString, serviceAccountToken } from '../../util/refs.ts';
import type { SecretKeyRef, ServiceAccountRef } from '../../util/spec.ts';
import { vaultLogin } from './login.ts';
import type { AmbientUse } from '../../ambient.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

const MOUNTED_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export const MOUNTED_TOKEN_USE: AmbientUse = {
  field: 'spec.provider.vault.auth.kubernetes',
  credential: "the controller's own mounted ServiceAccount token (no serviceAccountRef or secretRef)",
  instead: 'spec.provider.vault.auth.kubernetes.serviceAccountRef (a ServiceAccount of the store\'s namespace) or spec.provider.vault.auth.kubernetes.secretRef',
};

export function kubernetesAuth(
  spec: {
    mountPath: string;
    role: string;
    serviceAccountRef?: ServiceAccountRef | undefined;
    secretRef?: SecretKeyRef | undefined;
  },
  mountedTokenPath = MOUNTED_TOKEN_PATH,
): VaultAuthMethod {
  return {
    name: 'kubernetes',
    staticToken: false,
    ambient: spec.serviceAccountRef || spec.secretRef ? undefined : MOUNTED_TOKEN_USE,
    async login(ctx: AuthContext, signal: AbortSignal): Promise<LoginResult> {
      const what = 'vault auth.kubernetes';
      let jwt: string;
      if (spec.serviceAccountRef) {
        const sa = spec.serviceAccountRef;
        jwt = (await serviceAccountToken(ctx.kube, ctx.scope, sa, `${what}.serviceAccountRef`, { audiences: sa.audiences, expirationSeconds: 600 })).token;
      } else if (spec.secretRef) {
        jwt = (await readSecretString(ctx.kube, ctx.scope, spec.secretRef, `${what}.secretRef`)).trim();
      } else {
        ctx.credentials.requireAmbient(MOUNTED_TOKEN_USE);
        try {
          jwt = (await readFile(mountedTokenPath, 'utf8')).trim();
        } catch {
          throw new InvalidConfigError(`${what}: no serviceAccountRef or secretRef, and no mounted service account token at ${mountedTokenPath}`);
        }
      }
      ctx.remember(jwt);
      return vaultLogin(ctx, `auth/${spec.mountPath}/login`, { role: spec.role, jwt }, signal);
    },
  };
}
