/** auth.jwt: a JWT from a Secret, or a ServiceAccount token minted for the given audiences. */
import { InvalidConfigError } from '../../../util/errors.ts';
import { readSecretString, serviceAccountToken } from '../../util/refs.ts';
import type { SecretKeyRef, ServiceAccountRef } from '../../util/spec.ts';
import { vaultLogin } from './login.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

export function jwtAuth(spec: {
  path: string;
  role: string;
  secretRef?: SecretKeyRef | undefined;
  kubernetesServiceAccountToken?: { serviceAccountRef: ServiceAccountRef; audiences: string[]; expirationSeconds: number } | undefined;
}): VaultAuthMethod {
  return {
    name: 'jwt',
    staticToken: false,
    async login(ctx: AuthContext, signal: AbortSignal): Promise<LoginResult> {
      const what = 'vault auth.jwt';
      let jwt: string;
      if (spec.secretRef) {
        jwt = (await readSecretString(ctx.kube, ctx.scope, spec.secretRef, `${what}.secretRef`)).trim();
      } else if (spec.kubernetesServiceAccountToken) {
        const k = spec.kubernetesServiceAccountToken;
        // ESO sends the ServiceAccountRef's own audiences followed by the token's.
        const audiences = [...(k.serviceAccountRef.audiences ?? []), ...k.audiences];
        jwt = (
          await serviceAccountToken(ctx.kube, ctx.scope, k.serviceAccountRef, `${what}.kubernetesServiceAccountToken`, {
            audiences,
            expirationSeconds: k.expirationSeconds,
          })
        ).token;
      } else {
        throw new InvalidConfigError(`${what}: neither secretRef nor kubernetesServiceAccountToken was supplied`);
      }
      ctx.remember(jwt);
      return vaultLogin(ctx, `auth/${spec.path}/login`, { role: spec.role, jwt }, signal);
    },
  };
}
