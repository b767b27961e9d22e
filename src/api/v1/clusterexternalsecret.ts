/**
 * ClusterExternalSecret: one ExternalSecret spec stamped into every namespace
 * that matches, as ESO's CES does.
 */
import { array, integer, map, object, string, type Static } from '../schema.ts';
import { dnsLabelPattern, labelSelector, objectName, type ObjectMetaLike } from './common.ts';
import { externalSecretSpec } from './externalsecret.ts';

export const clusterExternalSecretSpec = object({
  externalSecretSpec: { ...externalSecretSpec, description: 'The spec of the ExternalSecrets to create.' },
  externalSecretName: objectName('Name of the ExternalSecrets; the ClusterExternalSecret\'s name if empty.'),
  externalSecretMetadata: object({
    annotations: map(string(), { description: 'Annotations of the created ExternalSecrets.' }),
    labels: map(string(), { description: 'Labels of the created ExternalSecrets.' }),
  }, { description: 'Metadata of the created ExternalSecrets.' }),
  namespaceSelector: { ...labelSelector, description: 'Deprecated: use namespaceSelectors.' },
  namespaceSelectors: array(labelSelector, { description: 'Namespaces whose labels match any of these selectors.' }),
  namespaces: array(string({ minLength: 1, maxLength: 63, pattern: dnsLabelPattern }), { description: 'Deprecated: use namespaceSelectors. Namespaces by name.' }),
  refreshTime: string({ description: 'Go duration between namespace re-checks. Empty means 1h.' }),
}, { required: ['externalSecretSpec'], description: 'What to create and where.' });
export type ClusterExternalSecretSpec = Static<typeof clusterExternalSecretSpec>;

export const clusterExternalSecretStatus = object({
  externalSecretName: string({ description: 'Name of the created ExternalSecrets.' }),
  failedNamespaces: array(object({
    namespace: string({ description: 'The namespace.' }),
    reason: string({ description: 'Why the ExternalSecret could not be written there.' }),
  }, { required: ['namespace'] }), { description: 'Namespaces where writing the ExternalSecret failed.' }),
  provisionedNamespaces: array(string(), { description: 'Namespaces that have the ExternalSecret.' }),
  observedGeneration: integer({ format: 'int64', description: 'Hush: the metadata.generation this status describes (kstatus).' }),
  conditions: array(object({
    type: string({ description: 'Ready.' }),
    status: string({ description: 'True, False or Unknown.' }),
    message: string({ description: 'What happened, for a person.' }),
  }, { required: ['type', 'status'] }), { description: 'Current state.' }),
}, { description: 'Observed state.' });
export type ClusterExternalSecretStatus = Static<typeof clusterExternalSecretStatus>;

export interface ClusterExternalSecret {
  apiVersion: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  kind: 'ClusterExternalSecret';
  metadata: ObjectMetaLike;
  spec?: ClusterExternalSecretSpec;
  status?: ClusterExternalSecretStatus;
}

export const clusterExternalSecretDefaults = {
  refreshTime: '1h',
} as const;
