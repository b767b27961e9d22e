/**
 * The CustomResourceDefinitions of the external-secrets.io group, built from
 * the schemas in v1/. Names, short names, categories, printer columns and the
 * CRD label match ESO's, so `kubectl get es`, `kubectl get externalsecrets`
 * and ESO-aware tools keep working.
 *
 * Both v1 (storage) and v1beta1 are served with the same schema and no
 * conversion webhook (strategy None): an old v1beta1 manifest applies as is
 * and is stored as v1. ESO 2.9 no longer serves v1beta1; Hush does, marked
 * deprecated, so clusters can move over without rewriting manifests first.
 */
import type { JsonSchema } from './schema.ts';
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

interface KindDefinition {
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

function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const schema = { openAPIV3Schema: rootSchema(def) };
  const version = (name: string): CrdVersion => {
    const v: CrdVersion = {
      name,
      served: true,
      storage: name === storageVersion,
      additionalPrinterColumns: def.printerColumns,
      schema,
      subresources: { status: {} },
    };
    if (name !== storageVersion) {
      v.deprecated = true;
      v.deprecationWarning = `${group}/${name} ${def.kind} is deprecated; use ${group}/${storageVersion}`;
    }
    if (def.selectableFields !== undefined) v.selectableFields = def.selectableFields.map((jsonPath) => ({ jsonPath }));
    return v;
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${group}`, labels: { ...crdLabels } },
    spec: {
      group,
      names: {
        categories: [category],
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        shortNames: def.shortNames,
        singular: def.kind.toLowerCase(),
      },
      scope: def.scope,
      conversion: { strategy: 'None' },
      versions: servedVersions.map(version),
    },
  };
}

/** All CRDs of the group, in a stable order. Fresh objects on every call. */
export function allCrds(): CustomResourceDefinition[] {
  return structuredClone(kinds.map(buildCrd));
}

/** The CRD that serves `kind`, if Hush defines it. */
export function crdForKind(kind: string): CustomResourceDefinition | undefined {
  return allCrds().find((c) => c.spec.names.kind === kind);
}

/** The openAPIV3Schema that validates objects of `apiVersion`/`kind`, or undefined if the group does not define it. */
export function schemaFor(apiVersion: string, kind: string): JsonSchema | undefined {
  const def = kinds.find((k) => k.kind === kind);
  if (def === undefined) return undefined;
  const [g, v] = apiVersion.split('/');
  if (g !== group || v === undefined || !(servedVersions as readonly string[]).includes(v)) return undefined;
  return rootSchema(def);
}

/** The kinds of the group. */
export const kindNames = kinds.map((k) => k.kind);
