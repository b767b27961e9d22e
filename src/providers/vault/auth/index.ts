/** Picks the auth method object for a parsed auth block. */
import type { VaultAuthSpec } from '../spec.ts';
import { appRoleAuth } from './approle.ts';
import { certAuth } from './cert.ts';
import { jwtAuth } from './jwt.ts';
import { kubernetesAuth } from './kubernetes.ts';
import { ldapAuth } from './ldap.ts';
import { tokenAuth } from './token.ts';
import type { VaultAuthMethod } from './types.ts';
import { unsupportedAuth } from './unsupported.ts';
import { userPassAuth } from './userpass.ts';

export function authMethodFor(spec: VaultAuthSpec, options: { mountedTokenPath?: string | undefined } = {}): VaultAuthMethod {
  switch (spec.method) {
    case 'tokenSecretRef':
      return tokenAuth(spec.tokenSecretRef);
    case 'appRole':
      return appRoleAuth(spec);
    case 'kubernetes':
      return kubernetesAuth(spec, options.mountedTokenPath);
    case 'userPass':
      return userPassAuth(spec);
    case 'ldap':
      return ldapAuth(spec);
    case 'jwt':
      return jwtAuth(spec);
    case 'cert':
      return certAuth(spec);
    case 'iam':
    case 'gcp':
      return unsupportedAuth(spec.method);
  }
}
