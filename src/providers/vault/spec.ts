/**
 * spec.provider.vault, read from the manifest into a typed form, with the
 * defaults and the checks of ESO's CRD and webhook.
 */
import type { Diagnostic, StoreContext } from '../types.ts';
import { Fields, type SecretKeyRef, type ServiceAccountRef } from '../util/spec.ts';
import { checkCaProviderScope, readCaProvider, type CaProvider } from '../util/tls.ts';

export type KvVersion = 'v1' | 'v2';

export type VaultAuthSpec =
  | { method: 'tokenSecretRef'; tokenSecretRef: SecretKeyRef }
  | { method: 'appRole'; path: string; roleId?: string | undefined; roleRef?: SecretKeyRef | undefined; secretRef: SecretKeyRef }
  | {
      method: 'kubernetes';
      mountPath: string;
      role: string;
      serviceAccountRef?: ServiceAccountRef | undefined;
      secretRef?: SecretKeyRef | undefined;
    }
  | { method: 'ldap' | 'userPass'; path: string; username: string; secretRef: SecretKeyRef }
  | {
      method: 'jwt';
      path: string;
      role: string;
      secretRef?: SecretKeyRef | undefined;
      kubernetesServiceAccountToken?: { serviceAccountRef: ServiceAccountRef; audiences: string[]; expirationSeconds: number } | undefined;
    }
  | { method: 'cert'; path: string; vaultRole?: string | undefined; clientCert: SecretKeyRef; secretRef: SecretKeyRef }
  | { method: 'iam' | 'gcp' };

export interface VaultSpec {
  server: string;
  /** The KV mount ("secret"); undefined when keys carry the mount themselves. */
  path: string | undefined;
  version: KvVersion;
  namespace: string | undefined;
  caBundle: string | undefined;
  caProvider: CaProvider | undefined;
  clientTls: { certSecretRef: SecretKeyRef; keySecretRef: SecretKeyRef } | undefined;
  headers: Record<string, string>;
  readYourWrites: boolean;
  forwardInconsistent: boolean;
  /** undefined: no auth block, requests go without a token. */
  auth: (VaultAuthSpec & { namespace?: string | undefined }) | undefined;
}

export const ROOT = 'spec.provider.vault';

/** Auth methods in ESO's order of precedence: the first one present is used. */
const authOrder = ['tokenSecretRef', 'appRole', 'kubernetes', 'ldap', 'userPass', 'jwt', 'cert', 'iam', 'gcp'] as const;

export function parseVaultSpec(raw: unknown, storeKind: StoreContext['storeKind']): { spec?: VaultSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };
  const server = f.str('server', { required: true });
  if (server !== undefined) {
    try {
      const u = new URL(server);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') f.problem('server', 'must be an http:// or https:// URL');
    } catch {
      f.problem('server', 'must be a URL such as https://vault.example:8200');
    }
  }
  const rawPath = f.str('path');
  const version = (f.str('version', { oneOf: ['v1', 'v2'] }) ?? 'v2') as KvVersion;
  const caProvider = readCaProvider(f);
  checkCaProviderScope(f, caProvider, storeKind);
  const tls = f.child('tls');
  let clientTls: VaultSpec['clientTls'];
  if (tls) {
    const cert = tls.secretRef('certSecretRef');
    const key = tls.secretRef('keySecretRef');
    if ((tls.has('certSecretRef') || tls.has('keySecretRef')) && !(tls.has('certSecretRef') && tls.has('keySecretRef'))) {
      tls.problem('', 'certSecretRef and keySecretRef must be given together');
    }
    if (cert && key) clientTls = { certSecretRef: cert, keySecretRef: key };
  }
  const spec: VaultSpec = {
    server: server ?? '',
    // ESO keeps the mount exactly as written; an empty one means "not set".
    path: rawPath === '' ? undefined : rawPath,
    version,
    namespace: f.str('namespace') || undefined,
    caBundle: f.str('caBundle') || undefined,
    caProvider,
    clientTls,
    headers: f.strMap('headers') ?? {},
    readYourWrites: f.bool('readYourWrites') ?? false,
    forwardInconsistent: f.bool('forwardInconsistent') ?? false,
    auth: parseAuth(f),
  };
  return diags.length > 0 ? { diagnostics: diags } : { spec, diagnostics: diags };
}

function parseAuth(f: Fields): VaultSpec['auth'] {
  const a = f.child('auth');
  if (!a) return undefined;
  const namespace = a.str('namespace') || undefined;
  const method = authOrder.find((m) => a.has(m));
  if (method === undefined) {
    a.problem('', `no auth method given: set one of ${authOrder.join(', ')}`);
    return undefined;
  }
  const auth = parseMethod(a, method);
  return auth ? { ...auth, namespace } : undefined;
}

function parseMethod(a: Fields, method: (typeof authOrder)[number]): VaultAuthSpec | undefined {
  switch (method) {
    case 'tokenSecretRef': {
      const ref = a.secretRef('tokenSecretRef', { required: true });
      return ref && { method, tokenSecretRef: ref };
    }
    case 'appRole': {
      const m = a.child('appRole', true);
      if (!m) return undefined;
      const roleId = m.str('roleId') || undefined;
      const roleRef = m.secretRef('roleRef');
      if (roleId === undefined && !m.has('roleRef')) m.problem('', 'neither roleId nor roleRef was supplied');
      const secretRef = m.secretRef('secretRef', { required: true });
      return secretRef && { method, path: m.str('path') || 'approle', roleId, roleRef, secretRef };
    }
    case 'kubernetes': {
      const m = a.child('kubernetes', true);
      if (!m) return undefined;
      const role = m.str('role', { required: true });
      const serviceAccountRef = m.serviceAccountRef('serviceAccountRef');
      const secretRef = m.secretRef('secretRef', { defaultKey: 'token' });
      return role === undefined ? undefined : { method, mountPath: m.str('mountPath') || 'kubernetes', role, serviceAccountRef, secretRef };
    }
    case 'ldap':
    case 'userPass': {
      const m = a.child(method, true);
      if (!m) return undefined;
      const username = m.str('username', { required: true });
      const secretRef = m.secretRef('secretRef', { required: true });
      if (username === undefined || !secretRef) return undefined;
      return { method, path: m.str('path') || (method === 'ldap' ? 'ldap' : 'userpass'), username, secretRef };
    }
    case 'jwt': {
      const m = a.child('jwt', true);
      if (!m) return undefined;
      const secretRef = m.secretRef('secretRef');
      let kubernetesServiceAccountToken: Extract<VaultAuthSpec, { method: 'jwt' }>['kubernetesServiceAccountToken'];
      const k = m.child('kubernetesServiceAccountToken');
      if (k) {
        const sa = k.serviceAccountRef('serviceAccountRef', true);
        const audiences = k.strList('audiences') ?? ['vault'];
        const expirationSeconds = k.int('expirationSeconds', 600) ?? 600;
        if (sa) kubernetesServiceAccountToken = { serviceAccountRef: sa, audiences, expirationSeconds };
      }
      if (!m.has('secretRef') && !k) m.problem('', 'neither secretRef nor kubernetesServiceAccountToken was supplied as token source for jwt authentication');
      return { method, path: m.str('path') || 'jwt', role: (m.str('role') ?? '').trim(), secretRef, kubernetesServiceAccountToken };
    }
    case 'cert': {
      const m = a.child('cert', true);
      if (!m) return undefined;
      const clientCert = m.secretRef('clientCert', { required: true });
      const secretRef = m.secretRef('secretRef', { required: true });
      if (!clientCert || !secretRef) return undefined;
      return { method, path: m.str('path') || 'cert', vaultRole: m.str('vaultRole') || undefined, clientCert, secretRef };
    }
    case 'iam':
    case 'gcp':
      return { method };
  }
}

/** Every namespace-less secret/service-account ref of the auth block (for referent-auth detection). */
export function authRefNamespaces(spec: VaultSpec): (string | undefined)[] {
  const a = spec.auth;
  if (!a) return [];
  switch (a.method) {
    case 'tokenSecretRef':
      return [a.tokenSecretRef.namespace];
    case 'appRole':
      return [a.secretRef.namespace, ...(a.roleId === undefined && a.roleRef ? [a.roleRef.namespace] : [])];
    case 'kubernetes':
      return a.serviceAccountRef ? [a.serviceAccountRef.namespace] : a.secretRef ? [a.secretRef.namespace] : [];
    case 'ldap':
    case 'userPass':
      return [a.secretRef.namespace];
    case 'jwt':
      return a.secretRef ? [a.secretRef.namespace] : a.kubernetesServiceAccountToken ? [a.kubernetesServiceAccountToken.serviceAccountRef.namespace] : [];
    case 'cert':
      return [a.clientCert.namespace, a.secretRef.namespace];
    default:
      return [];
  }
}
