/**
 * ExternalSecret (external-secrets.io/v1): what to read from which store and
 * how to write it into a Kubernetes Secret. Field for field as ESO 2.9 defines
 * it, so ESO manifests apply unchanged. No field carries a CRD default: the
 * defaults ESO documents are applied in code (`externalSecretDefaults`).
 */
import {
  array,
  boolean,
  dateTime,
  integer,
  map,
  object,
  oneOfKeys,
  string,
  type Static,
} from '../schema.ts';
import { dataKey, objectName, statusCondition, type ObjectMetaLike } from './common.ts';

export const storeKinds = ['SecretStore', 'ClusterSecretStore'] as const;
export const creationPolicies = ['Owner', 'Orphan', 'Merge', 'None', 'CreateOrMerge'] as const;
export const deletionPolicies = ['Delete', 'Merge', 'Retain'] as const;
export const refreshPolicies = ['CreatedOnce', 'Periodic', 'OnChange'] as const;
export const metadataPolicies = ['None', 'Fetch'] as const;
export const conversionStrategies = ['Default', 'Unicode'] as const;
export const decodingStrategies = ['Auto', 'Base64', 'Base64URL', 'None'] as const;
export const nullBytePolicies = ['Ignore', 'Fail'] as const;
export const templateMergePolicies = ['Replace', 'Merge'] as const;
export const templateScopes = ['Values', 'KeysAndValues'] as const;

export type CreationPolicy = (typeof creationPolicies)[number];
export type DeletionPolicy = (typeof deletionPolicies)[number];
export type RefreshPolicy = (typeof refreshPolicies)[number];
export type DecodingStrategy = (typeof decodingStrategies)[number];
export type ConversionStrategy = (typeof conversionStrategies)[number];
export type NullBytePolicy = (typeof nullBytePolicies)[number];

export const secretStoreRef = object({
  name: objectName('Name of the SecretStore or ClusterSecretStore.'),
  kind: string({ enum: storeKinds, description: 'SecretStore (default) or ClusterSecretStore.' }),
}, { description: 'The store to read from.' });
export type SecretStoreRef = Static<typeof secretStoreRef>;

const conversionStrategy = string({
  enum: conversionStrategies,
  description: 'How characters not allowed in Secret keys are replaced (dataFrom only). Empty means Default.',
});
const decodingStrategy = string({
  enum: decodingStrategies,
  description: 'Decode values read from the store. Empty means None.',
});
const nullBytePolicy = string({
  enum: nullBytePolicies,
  description: 'Fail rejects values containing a NUL byte. Empty means Ignore.',
});

export const remoteRef = object({
  key: string({ description: 'The secret\'s key, path or name in the store.' }),
  property: string({ description: 'A property (field) of the secret, if the store supports it.' }),
  version: string({ description: 'A version of the secret, if the store supports it.' }),
  metadataPolicy: string({ enum: metadataPolicies, description: 'Fetch reads the secret\'s metadata instead of its value. Empty means None.' }),
  conversionStrategy,
  decodingStrategy,
  nullBytePolicy,
}, { required: ['key'], description: 'Where the value lives in the store.' });
export type RemoteRef = Static<typeof remoteRef>;

export const generatorRef = object({
  apiVersion: string({ description: 'API version of the generator; generators.external-secrets.io/v1alpha1 if empty.' }),
  kind: string({ description: 'Kind of the generator, e.g. Password or ClusterGenerator.' }),
  name: objectName('Name of the generator.'),
}, { required: ['kind', 'name'], description: 'A generator resource that produces values.' });
export type GeneratorRef = Static<typeof generatorRef>;

/** `data[].sourceRef`: another store for this one entry. */
export const storeSourceRef = object({
  storeRef: secretStoreRef,
  generatorRef: { ...generatorRef, description: 'Deprecated and ignored in data[]; use dataFrom[].sourceRef.' },
}, { minProperties: 1, maxProperties: 1, description: 'Overrides spec.secretStoreRef for this entry.' });

/** `dataFrom[].sourceRef`: another store, or a generator. */
export const storeGeneratorSourceRef = object({
  storeRef: secretStoreRef,
  generatorRef,
}, { minProperties: 1, maxProperties: 1, description: 'Overrides spec.secretStoreRef, or reads from a generator.' });

export const externalSecretData = object({
  secretKey: dataKey('Key in the target Secret.'),
  remoteRef,
  sourceRef: storeSourceRef,
}, { required: ['secretKey', 'remoteRef'], description: 'One key of the target Secret, read from one remote value.' });
export type ExternalSecretData = Static<typeof externalSecretData>;

export const findSpec = object({
  path: string({ description: 'Root path to search under.' }),
  name: object({
    regexp: string({ description: 'Regular expression the secret name must match (unanchored).' }),
  }, { description: 'Match secrets by name.' }),
  tags: map(string(), { description: 'Tags (custom metadata) that must all match.' }),
  conversionStrategy,
  decodingStrategy,
  nullBytePolicy,
}, { description: 'Find many secrets by name or tags; each becomes keys of the target.' });
export type FindSpec = Static<typeof findSpec>;

export const rewriteRule = oneOfKeys({
  regexp: object({
    source: string({ description: 'RE2 regular expression matched against each key.' }),
    target: string({ description: 'Replacement; $1 and ${name} refer to groups.' }),
  }, { required: ['source', 'target'], description: 'Rewrite keys with a regular expression.' }),
  transform: object({
    template: string({ description: 'Go template; .value is the key.' }),
  }, { required: ['template'], description: 'Rewrite keys with a template.' }),
  merge: object({
    into: string({ description: 'Key that receives the merged JSON (strategy JSON).' }),
    priority: array(string(), { description: 'Keys that win conflicts, lowest first.' }),
    priorityPolicy: string({ enum: ['Strict', 'IgnoreNotFound'], description: 'Whether a missing priority key is an error. Empty means Strict.' }),
    conflictPolicy: string({ enum: ['Error', 'Ignore'], description: 'What a conflicting key does. Empty means Error.' }),
    strategy: string({ enum: ['Extract', 'JSON'], description: 'Output only the merged keys (Extract) or add them under `into` (JSON). Empty means Extract.' }),
  }, { description: 'Merge JSON values into one object.' }),
}, { description: 'One rewrite step: exactly one of regexp, transform or merge.' });
export type RewriteRule = Static<typeof rewriteRule>;

export const externalSecretDataFrom = object({
  extract: { ...remoteRef, description: 'Read one secret and use each of its properties as a key.' },
  find: findSpec,
  rewrite: array(rewriteRule, { description: 'Key rewrites, applied in order.' }),
  sourceRef: storeGeneratorSourceRef,
}, { description: 'Many keys at once: extract, find, or a generator.' });
export type ExternalSecretDataFrom = Static<typeof externalSecretDataFrom>;

const templateRef = object({
  name: objectName('Name of the ConfigMap or Secret.'),
  items: array(object({
    key: dataKey('Key holding a template.'),
    templateAs: string({ enum: templateScopes, description: 'Render values only, or keys and values (YAML map). Empty means Values.' }),
  }, { required: ['key'] }), { description: 'Keys used as templates.' }),
}, { required: ['name', 'items'] });

export const templateFrom = object({
  configMap: { ...templateRef, description: 'Templates kept in a ConfigMap.' },
  secret: { ...templateRef, description: 'Templates kept in a Secret.' },
  target: string({ description: 'Where the output goes: Data (default), Annotations or Labels.' }),
  literal: string({ description: 'An inline template, rendered as keys and values.' }),
  valuesDecodingStrategy: string({ description: 'How values of templateFrom sources are decoded before rendering.' }),
}, { preserveUnknownFields: true, description: 'Templates read from a ConfigMap, a Secret or inline.' });

export const secretTemplate = object({
  type: string({ description: 'Type of the target Secret, e.g. kubernetes.io/tls.' }),
  engineVersion: string({ enum: ['v2'], description: 'Template engine version; only v2 exists.' }),
  mergePolicy: string({ enum: templateMergePolicies, description: 'Merge also keeps the provider data next to the templated keys. Empty means Replace.' }),
  metadata: object({
    labels: map(string(), { description: 'Labels of the target.' }),
    annotations: map(string(), { description: 'Annotations of the target.' }),
    finalizers: array(string(), { description: 'Finalizers of the target.' }),
  }, { description: 'Metadata of the target; replaces the copy of the ExternalSecret\'s own.' }),
  data: map(string(), { description: 'Target keys and their templates. Keys are literal; values are Go templates.' }),
  templateFrom: array(templateFrom, { description: 'More templates, applied in order before data.' }),
}, { description: 'Shape of the target Secret.' });
export type SecretTemplate = Static<typeof secretTemplate>;

export const externalSecretTarget = object({
  name: objectName('Name of the target Secret; the ExternalSecret\'s name if empty.'),
  creationPolicy: string({ enum: creationPolicies, description: 'Whether and how the target is created and owned. Empty means Owner.' }),
  deletionPolicy: string({ enum: deletionPolicies, description: 'What happens to the target when its data disappears from the store. Empty means Retain.' }),
  template: secretTemplate,
  immutable: boolean({ description: 'Create the target as an immutable Secret.' }),
  manifest: object({
    apiVersion: string({ description: 'API version of the target object.' }),
    kind: string({ description: 'Kind of the target object.' }),
  }, { preserveUnknownFields: true, description: 'Write another kind of object than a Secret (ESO feature flag; not supported by Hush yet).' }),
}, { description: 'The Kubernetes Secret to write.' });
export type ExternalSecretTarget = Static<typeof externalSecretTarget>;

export const syncWindows = object({
  kind: string({ enum: ['allow', 'deny'], description: 'allow: refresh only inside a window; deny: never inside one.' }),
  windows: array(object({
    schedule: string({ description: 'When a window opens: 5-field cron, @daily, or @every <duration>.' }),
    duration: string({ description: 'How long a window stays open (Go duration).' }),
  }, { required: ['schedule', 'duration'] }), { description: 'The windows.' }),
}, { preserveUnknownFields: true, description: 'Time windows that gate periodic refreshes.' });

export const externalSecretSpec = object({
  secretStoreRef,
  target: externalSecretTarget,
  refreshPolicy: string({ enum: refreshPolicies, description: 'When to refresh. Empty means Periodic.' }),
  refreshInterval: string({ description: 'Go duration between refreshes, e.g. 1h or 15m. 0 syncs once. Empty means 1h.' }),
  syncWindows,
  data: array(externalSecretData, { description: 'Keys read one by one; they override dataFrom.' }),
  dataFrom: array(externalSecretDataFrom, { description: 'Keys read in bulk, merged in order.' }),
}, { description: 'What to sync and how.' });
export type ExternalSecretSpec = Static<typeof externalSecretSpec>;

export const externalSecretStatus = object({
  refreshTime: dateTime({ nullable: true, description: 'Start of the last successful sync.' }),
  syncedResourceVersion: string({ description: 'Generation and metadata hash of the last synced spec.' }),
  observedGeneration: integer({ format: 'int64', description: 'Hush: the metadata.generation this status describes (kstatus; read by Flux and Argo CD health checks).' }),
  conditions: array(statusCondition('Ready or Deleted (ESO); Hush adds Reconciling (a failure being retried) and Stalled (a failure that needs a person), each only while True.'), { description: 'Current state.' }),
  binding: object({
    name: string({ description: 'Name of the target Secret.' }),
  }, { description: 'servicebinding.io reference to the target Secret.' }),
}, { description: 'Observed state.' });
export type ExternalSecretStatus = Static<typeof externalSecretStatus>;

export interface ExternalSecret {
  apiVersion: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  kind: 'ExternalSecret';
  metadata: ObjectMetaLike;
  spec?: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}

/** The defaults ESO documents, applied by the controller instead of the API server. */
export const externalSecretDefaults = {
  storeKind: 'SecretStore',
  refreshInterval: '1h',
  refreshPolicy: 'Periodic',
  creationPolicy: 'Owner',
  deletionPolicy: 'Retain',
  metadataPolicy: 'None',
  conversionStrategy: 'Default',
  decodingStrategy: 'None',
  nullBytePolicy: 'Ignore',
  templateEngineVersion: 'v2',
  templateMergePolicy: 'Replace',
  templateScope: 'Values',
  templateTarget: 'Data',
  generatorApiVersion: 'generators.external-secrets.io/v1alpha1',
  mergePriorityPolicy: 'Strict',
  mergeConflictPolicy: 'Error',
  mergeStrategy: 'Extract',
} as const;

/** The target Secret's name: `spec.target.name`, or the ExternalSecret's own. */
export function targetName(es: { metadata: { name?: string }; spec?: ExternalSecretSpec }): string {
  return es.spec?.target?.name ?? es.metadata.name ?? '';
}

export function effectiveCreationPolicy(spec: ExternalSecretSpec | undefined): CreationPolicy {
  return spec?.target?.creationPolicy ?? externalSecretDefaults.creationPolicy;
}

export function effectiveDeletionPolicy(spec: ExternalSecretSpec | undefined): DeletionPolicy {
  return spec?.target?.deletionPolicy ?? externalSecretDefaults.deletionPolicy;
}

export function effectiveRefreshPolicy(spec: ExternalSecretSpec | undefined): RefreshPolicy {
  return spec?.refreshPolicy ?? externalSecretDefaults.refreshPolicy;
}

/** `spec.refreshInterval` as written, or the default "1h" (parse it with parseGoDuration). */
export function effectiveRefreshInterval(spec: ExternalSecretSpec | undefined): string {
  const v = spec?.refreshInterval;
  return v === undefined || v === '' ? externalSecretDefaults.refreshInterval : v;
}
