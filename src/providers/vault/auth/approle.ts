/** auth.appRole: role ID (inline or from a Secret) + secret ID from a Secret. */
import { readSecretString } from '../../util/refs.ts';
import type { SecretKeyRef } from '../../util/spec.ts';
import { vaultLogin } from './login.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

export function appRoleAuth(spec: { path: string; roleId?: string | undefined; roleRef?: SecretKeyRef | undefined; secretRef: SecretKeyRef }): VaultAuthMethod {
  return {
    name: 'appRole',
    staticToken: false,
    async login(ctx: AuthContext, signal: AbortSignal): Promise<LoginResult> {
      const what = 'vault auth.appRole';
      const roleId =
        spec.roleId !== undefined ? spec.roleId.trim() : await readSecretString(ctx.kube, ctx.scope, spec.roleRef as SecretKeyRef, `${what}.roleRef`);
      const secretId = await readSecretString(ctx.kube, ctx.scope, spec.secretRef, `${what}.secretRef`);
      ctx.remember(roleId);
      ctx.remember(secretId);
      return vaultLogin(ctx, `auth/${spec.path}/login`, { role_id: roleId, secret_id: secretId }, signal);
    },
  };
}
