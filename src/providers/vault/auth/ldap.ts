/** auth.ldap: the userPass shape against Vault's ldap auth mount. */
import { passwordLogin, type PasswordAuthSpec } from './userpass.ts';
import type { VaultAuthMethod } from './types.ts';

export function ldapAuth(spec: PasswordAuthSpec): VaultAuthMethod {
  return {
    name: 'ldap',
    staticToken: false,
    login: (ctx, signal) => passwordLogin('ldap', spec, ctx, signal),
  };
}
