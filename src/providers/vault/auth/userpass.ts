/** auth.userPass: username + password from a Secret, at auth/<path>/login/<username>. */
import { readSecretString } from '../../util/refs.ts';
import type { SecretKeyRef } from '../../util/spec.ts';
import { vaultLogin } from './login.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

export interface PasswordAuthSpec {
  path: string;
  username: string;
  secretRef: SecretKeyRef;
}

/** Shared by userPass and ldap, which differ only in their mount. */
export async function passwordLogin(name: string, spec: PasswordAuthSpec, ctx: AuthContext, signal: AbortSignal): Promise<LoginResult> {
  const password = await readSecretString(ctx.kube, ctx.scope, spec.secretRef, `vault auth.${name}.secretRef`);
  ctx.remember(password);
  return vaultLogin(ctx, `auth/${spec.path}/login/${spec.username}`, { password }, signal);
}

export function userPassAuth(spec: PasswordAuthSpec): VaultAuthMethod {
  return {
    name: 'userPass',
    staticToken: false,
    login: (ctx, signal) => passwordLogin('userPass', spec, ctx, signal),
  };
}
