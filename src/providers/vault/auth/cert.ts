/**
 * auth.cert: TLS certificate auth. The client certificate (clientCert) and key
 * (secretRef) are presented on the connection itself, so the client reads them
 * before it opens any connection; the login call only names the role.
 */
import type { ProviderKubeAccess } from '../../types.ts';
import type { RefScope } from '../../util/refs.ts';
import type { SecretKeyRef } from '../../util/spec.ts';
import { resolveClientCert } from '../../util/tls.ts';
import { vaultLogin } from './login.ts';
import type { AuthContext, LoginResult, VaultAuthMethod } from './types.ts';

export interface CertAuthSpec {
  path: string;
  vaultRole?: string | undefined;
  clientCert: SecretKeyRef;
  secretRef: SecretKeyRef;
}

export function readCertAuthKeyPair(kube: ProviderKubeAccess, scope: RefScope, spec: CertAuthSpec): Promise<{ cert: string; key: string }> {
  return resolveClientCert(kube, scope, spec.clientCert, spec.secretRef, 'vault auth.cert');
}

export function certAuth(spec: CertAuthSpec): VaultAuthMethod {
  return {
    name: 'cert',
    staticToken: false,
    login(ctx: AuthContext, signal: AbortSignal): Promise<LoginResult> {
      return vaultLogin(ctx, `auth/${spec.path}/login`, spec.vaultRole ? { name: spec.vaultRole } : {}, signal);
    },
  };
}
