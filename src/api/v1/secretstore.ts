/**
 * SecretStore (namespaced) and ClusterSecretStore (cluster-wide): where
 * secrets are read from and how to log in. Both kinds share one spec, as in
 * ESO; `conditions` only matters on a ClusterSecretStore.
 */
import { array, integer, intOrString, object, string, type Static } from '../schema.ts';
import { dnsLabelPattern, labelSelector, statusCondition, type ObjectMetaLike } from './common.ts';
import { storeProvider } from './providers/index.ts';

export const storeCapabilities = ['ReadOnly', 'WriteOnly', 'ReadWrite'] as const;

export const clusterSecretStoreCondition = object({
  namespaceSelector: { ...labelSelector, description: 'Namespaces whose labels match.' },
  namespaces: array(string({ minLength: 1, maxLength: 63, pattern: dnsLabelPattern }), { description: 'Namespaces by name.' }),
  namespaceRegexes: array(string(), { description: 'Namespaces whose name matches one of these regular expressions (unanchored).' }),
}, { description: 'Namespaces allowed to use this ClusterSecretStore; the fields are ORed.' });

export const secretStoreSpec = object({
  controller: string({ description: 'Controller class that handles this store; any controller if empty.' }),
  provider: storeProvider,
  retrySettings: object({
    maxRetries: integer({ format: 'int32', description: 'How many times a failed provider call is retried.' }),
    retryInterval: string({ description: 'Go duration between retries.' }),
  }, { description: 'Retries of failed provider calls.' }),
  refreshInterval: intOrString({ description: 'How often the store is validated: seconds, or a Go duration. Empty or 0 means the controller default (5m).' }),
  conditions: array(clusterSecretStoreCondition, { description: 'ClusterSecretStore only: the namespaces allowed to use it (ORed). Empty allows all.' }),
}, { required: ['provider'], description: 'The store and how to reach it.' });
export type SecretStoreSpec = Static<typeof secretStoreSpec>;

export const secretStoreStatus = object({
  observedGeneration: integer({ format: 'int64', description: 'Hush: the metadata.generation this status describes (kstatus).' }),
  conditions: array(statusCondition('Ready (ESO); Hush adds Reconciling and Stalled, each only while True.'), { description: 'Current state.' }),
  capabilities: string({ enum: storeCapabilities, description: 'What the store can do: ReadOnly, WriteOnly or ReadWrite.' }),
}, { description: 'Observed state.' });
export type SecretStoreStatus = Static<typeof secretStoreStatus>;

export interface SecretStore {
  apiVersion: 'external-secrets.io/v1' | 'external-secrets.io/v1beta1';
  kind: 'SecretStore' | 'ClusterSecretStore';
  metadata: ObjectMetaLike;
  spec?: SecretStoreSpec;
  status?: SecretStoreStatus;
}

export const secretStoreDefaults = {
  /** Store validation interval when spec.refreshInterval is empty or 0. */
  refreshInterval: '5m',
  controllerClass: 'default',
} as const;
