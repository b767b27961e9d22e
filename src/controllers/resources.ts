/** The external-secrets.io resource types the controllers read and write. */
import { resourceType } from '../kube/resources.ts';

export const GROUP = 'external-secrets.io';
export const ExternalSecrets = resourceType(GROUP, 'v1', 'externalsecrets', 'ExternalSecret', true);
export const SecretStores = resourceType(GROUP, 'v1', 'secretstores', 'SecretStore', true);
export const ClusterSecretStores = resourceType(GROUP, 'v1', 'clustersecretstores', 'ClusterSecretStore', false);
export const ClusterExternalSecrets = resourceType(GROUP, 'v1', 'clusterexternalsecrets', 'ClusterExternalSecret', false);

/** Labels and annotations ESO puts on managed Secrets; Hush uses the same so ESO-made Secrets are adopted as they are. */
export const LABEL_MANAGED = 'reconcile.external-secrets.io/managed';
export const LABEL_CREATED_BY = 'reconcile.external-secrets.io/created-by';
export const ANNOTATION_DATA_HASH = 'reconcile.external-secrets.io/data-hash';
export const ANNOTATION_FORCE_SYNC = 'external-secrets.io/force-sync';
export const FINALIZER_ES = 'externalsecrets.external-secrets.io/externalsecret-cleanup';
export const FINALIZER_CES = 'externalsecrets.external-secrets.io/clusterexternalsecret-cleanup';
/** Label on ExternalSecrets created by a ClusterExternalSecret. */
export const LABEL_CES_OWNER = 'externalsecrets.external-secrets.io/owner';
