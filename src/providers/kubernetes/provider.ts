/** The kubernetes provider: Secrets of another namespace or cluster as a secret store. */
import { InvalidConfigError, InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, FindSpec, Provider, RemoteRef, StoreClient, StoreContext, ValidationResult } from '../types.ts';
import { HttpClient } from '../util/http.ts';
import { isReferentUnresolved, type RefScope } from '../util/refs.ts';
import { resolveConnection } from './auth.ts';
import { KubernetesStoreClient } from './client.ts';
import { authRefNamespaces, parseKubernetesSpec } from './spec.ts';

/** A client for a ClusterSecretStore whose credentials live in each ExternalSecret's namespace: it can only say so. */
class ReferentPlaceholder implements StoreClient {
  private fail(): Promise<never> {
    return Promise.reject(new InvalidConfigError('kubernetes: this ClusterSecretStore reads credentials from the ExternalSecret namespace; use it through an ExternalSecret'));
  }
  getSecret(_ref: RemoteRef): Promise<Uint8Array> {
    return this.fail();
  }
  getSecretMap(_ref: RemoteRef): Promise<Map<string, Uint8Array>> {
    return this.fail();
  }
  findSecrets(_find: FindSpec): Promise<Map<string, Uint8Array>> {
    return this.fail();
  }
  validate(): Promise<ValidationResult> {
    return Promise.resolve({ state: 'Unknown', message: 'credentials are read from the namespace of each ExternalSecret (referent auth); nothing to check yet' });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const kubernetesProvider: Provider = {
  name: 'kubernetes',
  metricsName: 'Kubernetes',
  validateStore(spec: unknown, storeKind: StoreContext['storeKind']): Diagnostic[] {
    return parseKubernetesSpec(spec, storeKind).diagnostics;
  },
  async connect(ctx: StoreContext): Promise<StoreClient> {
    const { spec, diagnostics } = parseKubernetesSpec(ctx.spec, ctx.storeKind);
    if (!spec) throw new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; '));
    const scope: RefScope = { storeKind: ctx.storeKind, namespace: ctx.namespace };
    if (authRefNamespaces(spec).some((ns) => isReferentUnresolved(scope, ns))) return new ReferentPlaceholder();
    const conn = await resolveConnection(ctx.kube, scope, spec);
    const http = new HttpClient(conn.url, { ca: conn.ca, cert: conn.clientCert?.cert, key: conn.clientCert?.key });
    return new KubernetesStoreClient({ http, conn, remoteNamespace: spec.remoteNamespace, recordCall: ctx.recordCall.bind(ctx), referentUnresolved: false });
  },
};
