/**
 * Resolving references to Kubernetes objects the way ESO does: a SecretStore
 * reads from its own namespace (a namespace written in the ref is ignored); a
 * ClusterSecretStore reads from the ref's namespace, or, when the ref has none,
 * from the namespace of the ExternalSecret using the store ("referent auth").
 */
import { InvalidConfigError } from '../../util/errors.ts';
import type { ProviderKubeAccess, StoreContext } from '../types.ts';
import type { SecretKeyRef, ServiceAccountRef } from './spec.ts';

export interface RefScope {
  storeKind: StoreContext['storeKind'];
  namespace: string | undefined;
}

export function refNamespace(scope: RefScope, refNs: string | undefined): string | undefined {
  if (scope.storeKind === 'ClusterSecretStore') return refNs ?? scope.namespace;
  return scope.namespace;
}

/** True when a ClusterSecretStore ref depends on the ExternalSecret's namespace, which is not known yet. */
export function isReferentUnresolved(scope: RefScope, refNs: string | undefined): boolean {
  return scope.storeKind === 'ClusterSecretStore' && refNs === undefined && scope.namespace === undefined;
}

function needNamespace(scope: RefScope, what: string, kind: string, name: string, refNs: string | undefined): string {
  const ns = refNamespace(scope, refNs);
  if (ns === undefined) {
    throw new InvalidConfigError(
      `${what}: ${kind} "${name}" has no namespace; a ClusterSecretStore needs one unless it is used by an ExternalSecret (referent auth)`,
    );
  }
  return ns;
}

/** Reads one Secret key as bytes. */
export async function readSecretBytes(kube: ProviderKubeAccess, scope: RefScope, ref: SecretKeyRef, what: string): Promise<Uint8Array> {
  const namespace = needNamespace(scope, what, 'secret', ref.name, ref.namespace);
  return kube.readSecretKey({ name: ref.name, key: ref.key, namespace });
}

/** Reads one Secret key as UTF-8 text. */
export async function readSecretString(kube: ProviderKubeAccess, scope: RefScope, ref: SecretKeyRef, what: string): Promise<string> {
  return Buffer.from(await readSecretBytes(kube, scope, ref, what)).toString('utf8');
}

/** Mints a ServiceAccount token through TokenRequest. */
export async function serviceAccountToken(
  kube: ProviderKubeAccess,
  scope: RefScope,
  ref: ServiceAccountRef,
  what: string,
  opts: { audiences?: string[] | undefined; expirationSeconds: number },
): Promise<{ token: string; expiresAt: Date }> {
  const namespace = needNamespace(scope, what, 'service account', ref.name, ref.namespace);
  return kube.createServiceAccountToken({
    name: ref.name,
    namespace,
    audiences: opts.audiences,
    expirationSeconds: opts.expirationSeconds,
    field: what,
  });
}
