/** auth.tokenSecretRef: a token kept in a Secret, used as it is (no login, no renewal, no revocation). */
import { InvalidConfigError } from '../../../util/errors.ts';
import { readSecretString } from '../../util/refs.ts';
import type { SecretKeyRef } from '../../util/spec.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

export function tokenAuth(ref: SecretKeyRef): VaultAuthMethod {
  return {
    name: 'tokenSecretRef',
    staticToken: true,
    async login(ctx: AuthContext): Promise<LoginResult> {
      // Trailing newlines are common in token files and are not valid in a header.
      const token = (await readSecretString(ctx.kube, ctx.scope, ref, 'vault auth.tokenSecretRef')).trim();
      if (token === '') throw new InvalidConfigError(`vault auth.tokenSecretRef: key "${ref.key}" of secret "${ref.name}" is empty`);
      ctx.remember(token);
      return { token, ttlSeconds: 0, renewable: false };
    },
  };
}
