/** Cache indexes that map events on one kind to the ExternalSecrets they concern. */
import type { ExternalSecretObject, StoreRef } from './externalsecret/spec.ts';
import { targetNameOf } from './externalsecret/spec.ts';

/** `SecretStore/<ns>/<name>` or `ClusterSecretStore//<name>`: the store queue key and index value. */
export function storeKey(kind: 'SecretStore' | 'ClusterSecretStore', namespace: string | undefined, name: string): string {
  return kind === 'SecretStore' ? `SecretStore/${namespace ?? ''}/${name}` : `ClusterSecretStore//${name}`;
}

export function parseStoreKey(key: string): { kind: 'SecretStore' | 'ClusterSecretStore'; namespace: string | undefined; name: string } {
  const [kind, ns, ...rest] = key.split('/');
  return { kind: kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore', namespace: ns || undefined, name: rest.join('/') };
}

function refKey(es: ExternalSecretObject, ref: StoreRef | undefined): string | undefined {
  if (!ref?.name) return undefined;
  return ref.kind === 'ClusterSecretStore' ? storeKey('ClusterSecretStore', undefined, ref.name) : storeKey('SecretStore', es.metadata.namespace, ref.name);
}

/** Every store an ExternalSecret reads from: its secretStoreRef and any sourceRef.storeRef. */
export function storesOf(es: ExternalSecretObject): string[] {
  const keys = new Set<string>();
  const main = refKey(es, es.spec.secretStoreRef);
  if (main) keys.add(main);
  for (const d of es.spec.data ?? []) {
    const k = refKey(es, d.sourceRef?.storeRef);
    if (k) keys.add(k);
  }
  for (const d of es.spec.dataFrom ?? []) {
    const k = refKey(es, d.sourceRef?.storeRef);
    if (k) keys.add(k);
  }
  return [...keys];
}

/** `<ns>/<target Secret name>`. */
export function targetOf(es: ExternalSecretObject): string[] {
  return [`${es.metadata.namespace ?? ''}/${targetNameOf(es)}`];
}

/** The uid of the ClusterExternalSecret that controls this ExternalSecret, if any. */
export function cesOwnerOf(es: ExternalSecretObject): string[] {
  const refs = (es.metadata.ownerReferences ?? []) as { kind?: string; uid?: string; controller?: boolean }[];
  return refs.filter((r) => r.kind === 'ClusterExternalSecret' && r.controller && r.uid).map((r) => r.uid!);
}
