/**
 * The Secret a SopsSecret should have, how it compares with the one in the
 * cluster, and which write gets from one to the other. Pure.
 *
 * `WantedSecret` is everything about the desired Secret except its values:
 * their hash stands in for them. The reconciler remembers it between runs, so
 * a Secret event caused by our own write (or any no-op) is checked without
 * decrypting again, and no plaintext is kept in memory longer than one write.
 */
import { apiVersionOf, type OwnerReference } from '../../kube/resources.ts';
import { dataHash } from '../externalsecret/hash.ts';
import { decodeSecretData, type SecretObject } from '../externalsecret/target.ts';
import { Reasons, SopsSecretError } from './errors.ts';
import type { SecretContent } from './manifest.ts';
import { ANNOTATION_SOPS_DATA_HASH, LABEL_SOPS_MANAGED, SopsSecrets, type SopsSecretObject } from './resources.ts';

export interface WantedSecret {
  name: string;
  namespace: string;
  type: string;
  immutable: boolean;
  /** The manifest's labels plus the managed label. */
  labels: Record<string, string>;
  /** The manifest's annotations plus the data hash. */
  annotations: Record<string, string>;
  owner: OwnerReference;
  dataHash: string;
}

export function hashData(data: Record<string, Buffer>): string {
  return dataHash(data);
}

export function wantedSecret(content: SecretContent, sops: SopsSecretObject): WantedSecret {
  const hash = hashData(content.data);
  return {
    name: content.name,
    namespace: sops.metadata.namespace!,
    type: content.type,
    immutable: content.immutable,
    labels: { ...content.labels, [LABEL_SOPS_MANAGED]: 'true' },
    annotations: { ...content.annotations, [ANNOTATION_SOPS_DATA_HASH]: hash },
    owner: { apiVersion: apiVersionOf(SopsSecrets), kind: 'SopsSecret', name: sops.metadata.name, uid: sops.metadata.uid!, controller: true, blockOwnerDeletion: true },
    dataHash: hash,
  };
}

function controllerOf(s: SecretObject): OwnerReference | undefined {
  return s.metadata.ownerReferences?.find((r) => r.controller === true);
}

function subsetOf(want: Record<string, string>, have: Record<string, string> | undefined): boolean {
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

/**
 * Whether the Secret in the cluster is what we want. Labels and annotations
 * others added are allowed (other controllers annotate Secrets; removing
 * their marks would start a write war); ours must all be there.
 */
export function isUpToDate(existing: SecretObject | undefined, want: WantedSecret): boolean {
  if (!existing) return false;
  return (
    controllerOf(existing)?.uid === want.owner.uid &&
    (existing.type ?? 'Opaque') === want.type &&
    (existing.immutable ?? false) === want.immutable &&
    subsetOf(want.labels, existing.metadata.labels) &&
    subsetOf(want.annotations, existing.metadata.annotations) &&
    dataHash(decodeSecretData(existing)) === want.dataHash
  );
}

export type WriteAction = 'none' | 'create' | 'replace' | 'recreate';

/**
 * The write that makes `existing` what we want. A Secret of another type, or
 * an immutable one whose data must change, cannot be updated in place: it is
 * deleted and created again. A Secret someone else controls is never touched.
 */
export function planWrite(existing: SecretObject | undefined, want: WantedSecret, subject: string): WriteAction {
  if (!existing) return 'create';
  const owner = controllerOf(existing);
  if (owner?.uid !== want.owner.uid) {
    const by = owner ? `is controlled by ${owner.kind} "${owner.name}"` : 'was not created by this SopsSecret';
    throw new SopsSecretError(Reasons.SecretConflict, 'Conflict', `${subject}: Secret "${want.namespace}/${want.name}" already exists and ${by}; it is left as it is. Fix: delete that Secret to let Hush create it, or give the encrypted manifest another metadata.name.`);
  }
  if (isUpToDate(existing, want)) return 'none';
  if ((existing.type ?? 'Opaque') !== want.type) return 'recreate';
  if (existing.immutable && (!want.immutable || dataHash(decodeSecretData(existing)) !== want.dataHash)) return 'recreate';
  return 'replace';
}

/**
 * The full Secret for create or replace. On replace, what others added is
 * kept: their labels, annotations, finalizers and non-controller owners.
 */
export function secretBody(want: WantedSecret, data: Record<string, Buffer>, existing?: SecretObject): SecretObject {
  const keep = existing?.metadata;
  const owners = (keep?.ownerReferences ?? []).filter((r) => r.uid !== want.owner.uid && r.controller !== true);
  const out: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: want.name,
      namespace: want.namespace,
      labels: { ...(keep?.labels ?? {}), ...want.labels },
      annotations: { ...(keep?.annotations ?? {}), ...want.annotations },
      ownerReferences: [...owners, want.owner],
      ...(keep?.finalizers?.length ? { finalizers: keep.finalizers } : {}),
      ...(keep?.resourceVersion ? { resourceVersion: keep.resourceVersion } : {}),
    },
    type: want.type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.toString('base64')])),
  };
  if (want.immutable) out.immutable = true;
  return out;
}
