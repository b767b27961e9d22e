/**
 * What the target Secret should look like, per creationPolicy (eso-reference
 * §4, §6). Pure: takes the ExternalSecret, the existing Secret (or none) and
 * the assembled data, returns the Secret to write, or why not to write.
 */
import { TargetConflictError } from '../../util/errors.ts';
import { ANNOTATION_DATA_HASH, ExternalSecrets, LABEL_CREATED_BY, LABEL_MANAGED } from '../resources.ts';
import { apiVersionOf, type ObjectMeta } from '../../kube/resources.ts';
import { createdByLabel, dataHash, fieldManagerFor } from './hash.ts';
import { creationPolicyOf, targetNameOf, type ExternalSecretObject } from './spec.ts';
import type { RenderedTarget } from './template.ts';

export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
}

/** Annotations never copied from the ExternalSecret: they describe the ES itself, not its Secret. */
const NOT_COPIED = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

export function decodeSecretData(secret: SecretObject | undefined): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(secret?.data ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return out;
}

export function encodeSecretData(data: Map<string, Uint8Array> | Record<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = data instanceof Map ? [...data] : Object.entries(data);
  for (const [k, v] of entries) out[k] = Buffer.from(v).toString('base64');
  return out;
}

/** ESO's isSecretValid: Orphan always; else the Secret exists, is labelled managed, and its data matches its data-hash. */
export function isSecretValid(es: ExternalSecretObject, secret: SecretObject | undefined): boolean {
  if (creationPolicyOf(es.spec) === 'Orphan') return true;
  if (!secret) return false;
  if (secret.metadata.labels?.[LABEL_MANAGED] !== 'true') return false;
  return secret.metadata.annotations?.[ANNOTATION_DATA_HASH] === dataHash(decodeSecretData(secret));
}

export function controllerOwnerOf(secret: SecretObject): { kind: string; name: string; uid: string } | undefined {
  return secret.metadata.ownerReferences?.find((r) => r.controller === true);
}

export type TargetPlan =
  | { action: 'none'; reason: 'CreationPolicyNone' }
  | { action: 'missing'; reason: 'MergeTargetMissing' }
  | {
      action: 'create' | 'update';
      secret: SecretObject;
      changed: boolean;
      mergeKeys: boolean;
      /** Merge modes: keys this ExternalSecret wrote before and no longer produces, to remove first. */
      staleKeys: string[];
    };

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: Record<string, unknown>;
}

/**
 * Keys of Secret.data that `manager` owns, from metadata.managedFields. Both
 * Apply (Hush) and Update (ESO writes with Update under the same manager name)
 * entries count, so keys ESO wrote are cleaned up after a migration too.
 */
export function ownedDataKeys(secret: SecretObject | undefined, manager: string): Set<string> {
  return ownedKeysUnder(secret, manager, ['f:data']);
}

/** Labels or annotations that `manager` set, from metadata.managedFields. */
export function ownedMetadataKeys(secret: SecretObject | undefined, manager: string, what: 'labels' | 'annotations'): Set<string> {
  return ownedKeysUnder(secret, manager, ['f:metadata', `f:${what}`]);
}

function ownedKeysUnder(secret: SecretObject | undefined, manager: string, path: string[]): Set<string> {
  const out = new Set<string>();
  for (const e of (secret?.metadata.managedFields ?? []) as ManagedFieldsEntry[]) {
    if (e.manager !== manager) continue;
    let node: unknown = e.fieldsV1;
    for (const p of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
    if (node && typeof node === 'object') for (const k of Object.keys(node)) if (k.startsWith('f:')) out.add(k.slice(2));
  }
  return out;
}

/**
 * Plans the write. `mergeKeys` means foreign keys in the Secret must be kept
 * (Merge / CreateOrMerge): the caller uses server-side apply with the ES's
 * field manager then, so keys this ES wrote before and no longer produces are
 * dropped by the API server while other writers' keys stay.
 */
export function planTarget(es: ExternalSecretObject, existing: SecretObject | undefined, rendered: Map<string, Uint8Array> | RenderedTarget): TargetPlan {
  const target: RenderedTarget = rendered instanceof Map ? { data: rendered, templated: false } : rendered;
  const data = target.data;
  const policy = creationPolicyOf(es.spec);
  const ns = es.metadata.namespace!;
  const name = targetNameOf(es);
  if (policy === 'None') return { action: 'none', reason: 'CreationPolicyNone' };
  if (policy === 'Merge' && !existing) return { action: 'missing', reason: 'MergeTargetMissing' };

  const mergeKeys = policy === 'Merge' || policy === 'CreateOrMerge';
  const ours = encodeSecretData(data);
  // Merge modes keep other writers' keys but drop the ones this ExternalSecret wrote and no longer produces.
  const staleKeys = mergeKeys ? [...ownedDataKeys(existing, fieldManagerFor(es.metadata.name))].filter((k) => !(k in ours) && existing?.data?.[k] !== undefined) : [];
  const kept = { ...(existing?.data ?? {}) };
  for (const k of staleKeys) delete kept[k];
  const finalData = mergeKeys ? { ...kept, ...ours } : ours;
  const hash = dataHash(decodeSecretData({ metadata: { name }, data: finalData }));

  if (existing?.immutable && !sameData(existing.data ?? {}, finalData)) {
    throw new TargetConflictError(`Secret "${ns}/${name}" is immutable and its data would change; delete it to let Hush recreate it, or set target.immutable: false on a new Secret`);
  }

  if (policy === 'Owner' && existing) {
    const owner = controllerOwnerOf(existing);
    if (owner && owner.uid !== es.metadata.uid) {
      const what = owner.kind === 'ExternalSecret' ? `ExternalSecret "${owner.name}"` : `${owner.kind} "${owner.name}"`;
      throw new TargetConflictError(`target Secret "${ns}/${name}" is owned by ${what}; two owners cannot manage one Secret: change spec.target.name or use creationPolicy: Merge`);
    }
  }

  const labels: Record<string, string> = mergeKeys ? {} : { ...(existing?.metadata.labels ?? {}) };
  const annotations: Record<string, string> = mergeKeys ? {} : { ...(existing?.metadata.annotations ?? {}) };
  // Without a template the ExternalSecret's own labels and annotations are copied (as ESO does);
  // with one, only what template.metadata / templateFrom define.
  const srcLabels = target.templated ? (target.labels ?? {}) : (es.metadata.labels ?? {});
  const srcAnnotations = target.templated ? (target.annotations ?? {}) : (es.metadata.annotations ?? {});
  for (const [k, v] of Object.entries(srcLabels)) labels[k] = v;
  for (const [k, v] of Object.entries(srcAnnotations)) if (!NOT_COPIED.has(k)) annotations[k] = v;
  labels[LABEL_MANAGED] = 'true';
  if (policy === 'Owner') labels[LABEL_CREATED_BY] = createdByLabel(ns, es.metadata.name);
  annotations[ANNOTATION_DATA_HASH] = hash;
  if (!mergeKeys) {
    // Labels and annotations this ExternalSecret set before and no longer produces (a template or
    // the ExternalSecret's own metadata changed) are removed; other writers' stay.
    const manager = fieldManagerFor(es.metadata.name);
    for (const k of ownedMetadataKeys(existing, manager, 'labels')) if (!(k in srcLabels) && k !== LABEL_MANAGED && k !== LABEL_CREATED_BY) delete labels[k];
    for (const k of ownedMetadataKeys(existing, manager, 'annotations')) if (!(k in srcAnnotations) && k !== ANNOTATION_DATA_HASH) delete annotations[k];
  }

  let ownerReferences = (existing?.metadata.ownerReferences ?? []).filter((r) => r.uid !== es.metadata.uid);
  if (policy === 'Owner') {
    ownerReferences = [
      ...ownerReferences.filter((r) => r.controller !== true),
      { apiVersion: apiVersionOf(ExternalSecrets), kind: 'ExternalSecret', name: es.metadata.name, uid: es.metadata.uid!, controller: true, blockOwnerDeletion: true },
    ];
  }

  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: ns,
      labels,
      annotations,
      ...(mergeKeys ? {} : { ownerReferences }),
      ...(existing?.metadata.resourceVersion && !mergeKeys ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    type: target.type ?? existing?.type ?? 'Opaque',
    data: mergeKeys ? ours : finalData,
    ...(es.spec.target?.immutable ? { immutable: true } : existing?.immutable ? { immutable: true } : {}),
  };

  const changed =
    !existing ||
    staleKeys.length > 0 ||
    !sameData(existing.data ?? {}, finalData) ||
    !subsetOf(labels, existing.metadata.labels) ||
    !subsetOf(annotations, existing.metadata.annotations) ||
    (!mergeKeys && Object.keys(existing.metadata.labels ?? {}).some((k) => !(k in labels))) ||
    (!mergeKeys && Object.keys(existing.metadata.annotations ?? {}).some((k) => !(k in annotations))) ||
    (!mergeKeys && !sameOwners(ownerReferences, existing.metadata.ownerReferences ?? [])) ||
    (es.spec.target?.immutable === true && existing.immutable !== true) ||
    (target.type !== undefined && existing.type !== target.type);
  return { action: existing ? 'update' : 'create', secret, changed, mergeKeys, staleKeys };
}

function sameData(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

function subsetOf(want: Record<string, string>, have: Record<string, string> | undefined): boolean {
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

function sameOwners(a: { uid: string; controller?: boolean }[], b: { uid: string; controller?: boolean }[]): boolean {
  return a.length === b.length && a.every((r, i) => r.uid === b[i]?.uid && (r.controller ?? false) === (b[i]?.controller ?? false));
}
