/**
 * The parts of an ExternalSecret the controller reads, with ESO's defaults.
 * The full, documented schema lives in src/api; this file narrows it to what
 * the reconcile logic needs, so that logic can be tested with plain objects.
 */
import type { ObjectMeta } from '../../kube/resources.ts';
import type { ConversionStrategy } from './keys.ts';
import type { DecodingStrategy } from './decode.ts';

export interface StoreRef {
  name: string;
  kind?: 'SecretStore' | 'ClusterSecretStore';
}

export interface RemoteRefSpec {
  key: string;
  property?: string;
  version?: string;
  metadataPolicy?: 'None' | 'Fetch';
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: 'Ignore' | 'Fail';
}

export interface SourceRef {
  storeRef?: StoreRef;
  generatorRef?: { apiVersion?: string; kind: string; name: string };
}

export interface DataItem {
  secretKey: string;
  remoteRef: RemoteRefSpec;
  sourceRef?: SourceRef;
}

export interface FindSpecIn {
  path?: string;
  name?: { regexp: string };
  tags?: Record<string, string>;
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: 'Ignore' | 'Fail';
}

export interface RewriteSpec {
  regexp?: { source: string; target: string };
  transform?: { template: string };
  merge?: unknown;
}

export interface DataFromItem {
  extract?: RemoteRefSpec;
  find?: FindSpecIn;
  rewrite?: RewriteSpec[];
  sourceRef?: SourceRef;
}

export type CreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None' | 'CreateOrMerge';
export type DeletionPolicy = 'Retain' | 'Delete' | 'Merge';

export interface TemplateRef {
  name: string;
  items: { key: string; templateAs?: 'Values' | 'KeysAndValues' }[];
}

export interface TemplateFrom {
  configMap?: TemplateRef;
  secret?: TemplateRef;
  literal?: string;
  target?: string;
  valuesDecodingStrategy?: string;
}

export interface TemplateSpec {
  type?: string;
  engineVersion?: string;
  mergePolicy?: 'Replace' | 'Merge';
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  data?: Record<string, string>;
  templateFrom?: TemplateFrom[];
}

export interface TargetSpec {
  name?: string;
  creationPolicy?: CreationPolicy;
  deletionPolicy?: DeletionPolicy;
  immutable?: boolean;
  template?: TemplateSpec;
  manifest?: unknown;
}

export interface ExternalSecretSpec {
  secretStoreRef?: StoreRef;
  refreshInterval?: string;
  refreshPolicy?: 'CreatedOnce' | 'Periodic' | 'OnChange';
  syncWindows?: unknown;
  target?: TargetSpec;
  data?: DataItem[];
  dataFrom?: DataFromItem[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ExternalSecretStatus {
  observedGeneration?: number;
  refreshTime?: string;
  syncedResourceVersion?: string;
  binding?: { name?: string };
  conditions?: Condition[];
}

export interface ExternalSecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}

export const defaults = {
  refreshInterval: '1h',
  creationPolicy: 'Owner' as CreationPolicy,
  deletionPolicy: 'Retain' as DeletionPolicy,
};

export function creationPolicyOf(spec: ExternalSecretSpec): CreationPolicy {
  return spec.target?.creationPolicy ?? defaults.creationPolicy;
}
export function deletionPolicyOf(spec: ExternalSecretSpec): DeletionPolicy {
  return spec.target?.deletionPolicy ?? defaults.deletionPolicy;
}
export function targetNameOf(es: ExternalSecretObject): string {
  return es.spec.target?.name || es.metadata.name;
}
