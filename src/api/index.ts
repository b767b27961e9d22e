/**
 * The external-secrets.io API as Hush serves it: TypeScript types and
 * schemas (one source), the CRDs built from them, ESO's defaults (applied in
 * code, never by the API server), and an offline validator. Hush's own group
 * (secrets.hush.dev) is under `hush/`; its CRDs are in allCrds() too.
 */
export * from './schema.ts';
export { allCrds, crdForKind, schemaFor, group, storageVersion, servedVersions, kindNames, crdLabels, category } from './crd.ts';
export type { CustomResourceDefinition, CrdVersion, PrinterColumn, GroupDefinition, KindDefinition } from './crd.ts';
export { validateManifest, validateValue, formatIssues, type SchemaIssue } from './validate.ts';
export { parseGoDuration } from '../util/duration.ts';
export * from './v1/common.ts';
export * from './v1/externalsecret.ts';
export * from './v1/secretstore.ts';
export * from './v1/clusterexternalsecret.ts';
export * from './v1/providers/index.ts';
export { vaultDefaults, type VaultAuth, type VaultProvider } from './v1/providers/vault.ts';
export { kubernetesDefaults, type KubernetesProvider } from './v1/providers/kubernetes.ts';
export { type FakeProvider } from './v1/providers/fake.ts';
export * from './hush/index.ts';
