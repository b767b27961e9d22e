/** spec.provider.kubernetes, typed, with ESO's defaults and webhook checks. */
import type { Diagnostic, StoreContext } from '../types.ts';
import { Fields, type SecretKeyRef, type ServiceAccountRef } from '../util/spec.ts';
import { checkCaProviderScope, readCaProvider, type CaProvider } from '../util/tls.ts';

export const ROOT = 'spec.provider.kubernetes';

export type KubeAuthSpec =
  | { method: 'token'; bearerToken: SecretKeyRef }
  | { method: 'serviceAccount'; serviceAccount: ServiceAccountRef }
  | { method: 'cert'; clientCert: SecretKeyRef; clientKey: SecretKeyRef };

export interface KubernetesSpec {
  /** Empty: the cluster the controller runs against. */
  url: string | undefined;
  caBundle: string | undefined;
  caProvider: CaProvider | undefined;
  auth: KubeAuthSpec | undefined;
  /** A Secret key holding a kubeconfig; replaces server and auth. */
  authRef: SecretKeyRef | undefined;
  remoteNamespace: string;
}

export function parseKubernetesSpec(raw: unknown, storeKind: StoreContext['storeKind']): { spec?: KubernetesSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };
  const server = f.child('server');
  const url = server?.str('url') || undefined;
  if (url !== undefined && server) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') server.problem('url', 'must be an https:// URL');
    } catch {
      // ESO's CRD default is "kubernetes.default", which only resolves inside a cluster.
      if (url !== 'kubernetes.default') server.problem('url', 'must be a URL such as https://api.example:6443');
    }
  }
  const caProvider = server ? readCaProvider(server) : undefined;
  if (server) checkCaProviderScope(server, caProvider, storeKind);
  let auth: KubeAuthSpec | undefined;
  const a = f.child('auth');
  if (a) {
    if (a.has('token')) {
      const bearerToken = a.child('token')?.secretRef('bearerToken', { required: true });
      if (bearerToken) auth = { method: 'token', bearerToken };
    } else if (a.has('serviceAccount')) {
      const serviceAccount = a.serviceAccountRef('serviceAccount', true);
      if (serviceAccount) auth = { method: 'serviceAccount', serviceAccount };
    } else if (a.has('cert')) {
      const c = a.child('cert');
      const clientCert = c?.secretRef('clientCert', { required: true });
      const clientKey = c?.secretRef('clientKey', { required: true });
      if (clientCert && clientKey) auth = { method: 'cert', clientCert, clientKey };
    } else {
      a.problem('', 'no auth provider given: set token, serviceAccount or cert');
    }
  }
  const authRef = f.secretRef('authRef');
  const spec: KubernetesSpec = {
    url: url === 'kubernetes.default' ? undefined : url,
    caBundle: server?.str('caBundle') || undefined,
    caProvider,
    auth,
    authRef,
    remoteNamespace: f.str('remoteNamespace') || 'default',
  };
  return diags.length > 0 ? { diagnostics: diags } : { spec, diagnostics: diags };
}

/** Namespaces of the auth refs, for referent-auth detection. */
export function authRefNamespaces(spec: KubernetesSpec): (string | undefined)[] {
  const a = spec.auth;
  if (spec.authRef) return [spec.authRef.namespace];
  if (!a) return [];
  if (a.method === 'token') return [a.bearerToken.namespace];
  if (a.method === 'serviceAccount') return [a.serviceAccount.namespace];
  return [a.clientCert.namespace, a.clientKey.namespace];
}
