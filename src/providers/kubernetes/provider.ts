/** The kubernetes provider: Secrets of another namespace or cluster as a secret store. */
import { InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, Provider, StoreClient, StoreContext } from '../types.ts';
import { HttpClient } from '../util/http.ts';
import { isReferentUnresolved, type RefScope } from '../util/refs.ts';
import { resolveConnection } from './auth.ts';
import { KubernetesStoreClient } from './client.ts';
import { authRefNamespaces, parseKubernetesSpec } from './spec.ts';
import { referentPlaceholder } from '../util/referent.ts';


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
    if (authRefNamespaces(spec).some((ns) => isReferentUnresolved(scope, ns))) return referentPlaceholder('kubernetes');
    const conn = await resolveConnection(ctx.kube, scope, spec);
    // The controller's own API server (the default when server.url is unset, or the same URL) is the
    // operator's choice, not the tenant's: trusted past the egress policy (it is usually a service IP).
    const egress = ctx.kube.clusterServer !== undefined && sameOrigin(conn.url, ctx.kube.clusterServer) ? ctx.egress.trusting(conn.url) : ctx.egress;
    const http = new HttpClient(conn.url, { ca: conn.ca, cert: conn.clientCert?.cert, key: conn.clientCert?.key, egress, maxResponseBytes: ctx.maxResponseBytes });
    return new KubernetesStoreClient({ http, conn, remoteNamespace: spec.remoteNamespace, recordCall: ctx.recordCall.bind(ctx), referentUnresolved: false });
  },
};

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
