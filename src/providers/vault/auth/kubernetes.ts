/**
 * auth.kubernetes: log in with a Kubernetes service account token — minted
 * through TokenRequest (serviceAccountRef, 600 s like ESO), read from a Secret
 * (secretRef, key "token"), or the controller's own mounted token.
 */
import { readFile } from 'node:fs/promises';
import { InvalidConfigError } from '../../../util/errors.ts';
import { readSecretString, serviceAccountToken } from '../../util/refs.ts';
import type { SecretKeyRef, ServiceAccountRef } from '../../util/spec.ts';
import { vaultLogin } from './login.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

const mountedTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function kubernetesAuth(spec: {
  mountPath: string;
  role: string;
  serviceAccountRef?: ServiceAccountRef | undefined;
  secretRef?: SecretKeyRef | undefined;
}): VaultAuthMethod {
  return {
    name: 'kubernetes',
    staticToken: false,
    async login(ctx: AuthContext, signal: AbortSignal): Promise<LoginResult> {
      const what = 'vault auth.kubernetes';
      let jwt: string;
      if (spec.serviceAccountRef) {
        const sa = spec.serviceAccountRef;
        jwt = (await serviceAccountToken(ctx.kube, ctx.scope, sa, `${what}.serviceAccountRef`, { audiences: sa.audiences, expirationSeconds: 600 })).token;
      } else if (spec.secretRef) {
        jwt = (await readSecretString(ctx.kube, ctx.scope, spec.secretRef, `${what}.secretRef`)).trim();
      } else {
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
