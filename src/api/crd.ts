/**
 * The CustomResourceDefinitions Hush serves, built from the schemas: the
 * external-secrets.io group (v1/), and Hush's own secrets.hush.dev group
 * (hush/). For the ESO group, names, short names, categories, printer columns
 * and the CRD label match ESO's, so `kubectl get es`, `kubectl get
 * externalsecrets` and ESO-aware tools keep working.
 *
 * ESO group: both v1 (storage) and v1beta1 are served with the same schema
 * and no conversion webhook (strategy None): an old v1beta1 manifest applies
 * as is and is stored as v1. ESO 2.9 no longer serves v1beta1; Hush does,
 * marked deprecated, so clusters can move over without rewriting manifests
 * first.
 */
import type { JsonSchema } from './schema.ts';
import { hushGroupDefinition } from './hush/group.ts';
import { clusterExternalSecretSpec, clusterExternalSecretStatus } from './v1/clusterexternalsecret.ts';
import { externalSecretSpec, externalSecretStatus } from './v1/externalsecret.ts';
import { secretStoreSpec, secretStoreStatus } from './v1/secretstore.ts';

export const group = 'external-secrets.io';
export const storageVersion = 'v1';
export const servedVersions = ['v1', 'v1beta1'] as const;
export const crdLabels = { 'external-secrets.io/component': 'controller' } as const;
export const category = 'external-secrets';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'number' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  additionalPrinterColumns: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
  schema: { openAPIV3Schema: JsonSchema };
  subresources: { status: Record<string, never> };
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { categories: string[]; kind: string; listKind: string; plural: string; shortNames?: string[]; singular: string };
    scope: 'Namespaced' | 'Cluster';
    conversion: { strategy: 'None' };
    versions: CrdVersion[];
  };
}

export interface KindDefinition {
  kind: string;
  plural: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: JsonSchema;
  status: JsonSchema;
  printerColumns: PrinterColumn[];
  selectableFields?: string[];
}

const readyReason = '.status.conditions[?(@.type=="Ready")].reason';
const readyStatus = '.status.conditions[?(@.type=="Ready")].status';

const storeColumns: PrinterColumn[] = [
  { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Status', type: 'string', jsonPath: readyReason },
  { name: 'Capabilities', type: 'string', jsonPath: '.status.capabilities' },
  { name: 'Ready', type: 'string', jsonPath: readyStatus },
];

/** One API group: its versions (all served with one schema), CRD labels, category and kinds. */
export interface GroupDefinition {
  group: string;
  storageVersion: string;
  /** Every served version, storage version first; the others are marked deprecated. */
  servedVersions: readonly string[];
  labels: Readonly<Record<string, string>>;
  category: string;
  kinds: KindDefinition[];
}

const kinds: KindDefinition[] = [
  {
    kind: 'ExternalSecret',
    plural: 'externalsecrets',
    shortNames: ['es'],
    scope: 'Namespaced',
    description: 'ExternalSecret reads values from a secret store and writes them into a Kubernetes Secret.',
    spec: externalSecretSpec,
    status: externalSecretStatus,
    printerColumns: [
      { name: 'StoreType', type: 'string', jsonPath: '.spec.secretStoreRef.kind' },
      { name: 'Store', type: 'string', jsonPath: '.spec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshInterval' },
      { name: 'Status', type: 'string', jsonPath: readyReason },
      { name: 'Ready', type: 'string', jsonPath: readyStatus },
      { name: 'Last Sync', type: 'date', jsonPath: '.status.refreshTime' },
    ],
    // Field selectors the controller and users can filter by (ESO declares the same).
    selectableFields: ['.spec.secretStoreRef.name', '.spec.secretStoreRef.kind', '.spec.target.name', '.spec.refreshInterval'],
  },
  {
    kind: 'SecretStore',
    plural: 'secretstores',
    shortNames: ['ss'],
    scope: 'Namespaced',
    description: 'SecretStore is a secret store that ExternalSecrets of its namespace can read from.',
    spec: secretStoreSpec,
    status: secretStoreStatus,
    printerColumns: storeColumns,
  },
  {
    kind: 'ClusterSecretStore',
    plural: 'clustersecretstores',
    shortNames: ['css'],
    scope: 'Cluster',
    description: 'ClusterSecretStore is a secret store that ExternalSecrets of any allowed namespace can read from.',
    spec: secretStoreSpec,
    status: secretStoreStatus,
    printerColumns: storeColumns,
  },
  {
    kind: 'ClusterExternalSecret',
    plural: 'clusterexternalsecrets',
    shortNames: ['ces'],
    scope: 'Cluster',
    description: 'ClusterExternalSecret creates the same ExternalSecret in every matching namespace.',
    spec: clusterExternalSecretSpec,
    status: clusterExternalSecretStatus,
    printerColumns: [
      { name: 'Store', type: 'string', jsonPath: '.spec.externalSecretSpec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshTime' },
      { name: 'Ready', type: 'string', jsonPath: readyStatus },
    ],
  },
];

const esoGroupDefinition: GroupDefinition = { group, storageVersion, servedVersions, labels: crdLabels, category, kinds };

/** Every group Hush serves, ESO's first (the order of the generated files). */
const groups: GroupDefinition[] = [esoGroupDefinition, hushGroupDefinition];

function rootSchema(def: KindDefinition): JsonSchema {
  return {
    description: def.description,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: 'Versioned schema of this object.' },
      kind: { type: 'string', description: 'Kind of this object.' },
      metadata: { type: 'object' },
      spec: def.spec,
      status: def.status,
    },
  };
}

function buildCrd(g: GroupDefinition, def: KindDefinition): CustomResourceDefinition {
  const schema = { openAPIV3Schema: rootSchema(def) };
  const version = (name: string): CrdVersion => {
    const v: CrdVersion = {
      name,
      served: true,
      storage: name === g.storageVersion,
      additionalPrinterColumns: def.printerColumns,
      schema,
      subresources: { status: {} },
    };
    if (name !== g.storageVersion) {
      v.deprecated = true;
      v.deprecationWarning = `${g.group}/${name} ${def.kind} is deprecated; use ${g.group}/${g.storageVersion}`;
    }
    if (def.selectableFields !== undefined) v.selectableFields = def.selectableFields.map((jsonPath) => ({ jsonPath }));
    return v;
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${g.group}`, labels: { ...g.labels } },
    spec: {
      group: g.group,
      names: {
        categories: [g.category],
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        shortNames: def.shortNames,
        singular: def.kind.toLowerCase(),
      },
      scope: def.scope,
      conversion: { strategy: 'None' },
      versions: g.servedVersions.map(version),
    },
  };
}

/** All CRDs of every group, in a stable order (ESO's first). Fresh objects on every call. */
export function allCrds(): CustomResourceDefinition[] {
  return structuredClone(groups.flatMap((g) => g.kinds.map((k) => buildCrd(g, k))));
}

/** The CRD that serves `kind`, if Hush defines it. */
export function crdForKind(kind: string): CustomResourceDefinition | undefined {
  return allCrds().find((c) => c.spec.names.kind === kind);
}

/** The openAPIV3Schema that validates objects of `apiVersion`/`kind`, or undefined if no group serves it. */
export function schemaFor(apiVersion: string, kind: string): JsonSchema | undefined {
  const [name, v] = apiVersion.split('/');
  const g = groups.find((x) => x.group === name);
  const def = g?.kinds.find((k) => k.kind === kind);
  if (g === undefined || def === undefined || v === undefined || !g.servedVersions.includes(v)) return undefined;
  return rootSchema(def);
}

/** The kinds of the external-secrets.io group. */
export const kindNames = kinds.map((k) => k.kind);
