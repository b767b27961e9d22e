/**
 * Building blocks shared by the external-secrets.io/v1 kinds: name patterns,
 * references to Secrets and ServiceAccounts, label selectors and conditions.
 * Field names and limits follow ESO's `apis/meta/v1` and `externalsecrets/v1`.
 */
import { array, dateTime, map, object, string, type Static } from '../schema.ts';

/** A DNS-1123 subdomain: the names of Secrets, ConfigMaps, stores. */
export const dnsSubdomainPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A DNS-1123 label: namespace names. */
export const dnsLabelPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A key of a Secret or ConfigMap. */
export const secretKeyPattern = '^[-._a-zA-Z0-9]+$';

export function objectName(description: string) {
  return string({ description, minLength: 1, maxLength: 253, pattern: dnsSubdomainPattern });
}

export function namespaceName(description: string) {
  return string({ description, minLength: 1, maxLength: 63, pattern: dnsLabelPattern });
}

export function dataKey(description: string) {
  return string({ description, minLength: 1, maxLength: 253, pattern: secretKeyPattern });
}

/** A key in a Secret. `namespace` is only honoured for cluster-scoped stores. */
export const secretKeySelector = object({
  name: objectName('Name of the Secret.'),
  key: dataKey('Key inside the Secret. Some fields have a default key; see the field.'),
  namespace: namespaceName('Namespace of the Secret. Only allowed in a ClusterSecretStore; a SecretStore uses its own namespace.'),
}, { description: 'A key in a Kubernetes Secret.' });
export type SecretKeySelector = Static<typeof secretKeySelector>;

/** A ServiceAccount for which the controller requests tokens (TokenRequest API). */
export const serviceAccountSelector = object({
  name: objectName('Name of the ServiceAccount.'),
  namespace: namespaceName('Namespace of the ServiceAccount. Only allowed in a ClusterSecretStore.'),
  audiences: array(string(), { description: 'Audiences of the requested token.' }),
}, { required: ['name'], description: 'A ServiceAccount whose token is used to authenticate.' });
export type ServiceAccountSelector = Static<typeof serviceAccountSelector>;

/** A CA certificate kept in a Secret or ConfigMap. */
export const caProvider = object({
  type: string({ enum: ['Secret', 'ConfigMap'], description: 'Kind of object holding the CA certificate.' }),
  name: objectName('Name of the Secret or ConfigMap.'),
  key: dataKey('Key holding the PEM-encoded CA certificate.'),
  namespace: namespaceName('Namespace of the object. Only allowed in a ClusterSecretStore.'),
}, { required: ['type', 'name'], description: 'A PEM CA certificate read from a Secret or ConfigMap.' });
export type CAProvider = Static<typeof caProvider>;

/** metav1.LabelSelector. */
export const labelSelector = object({
  matchLabels: map(string(), { description: 'Labels that must all match.' }),
  matchExpressions: array(object({
    key: string({ description: 'Label key.' }),
    operator: string({ description: 'In, NotIn, Exists or DoesNotExist.' }),
    values: array(string(), { description: 'Values for In and NotIn.' }),
  }, { required: ['key', 'operator'] }), { description: 'Set-based requirements, ANDed.' }),
}, { description: 'A Kubernetes label selector.' });
labelSelector['x-kubernetes-map-type'] = 'atomic';
export type LabelSelector = Static<typeof labelSelector>;

/** "True" | "False" | "Unknown", as corev1.ConditionStatus. */
export const conditionStatus = string({ description: 'True, False or Unknown.' });

/** The condition shape ESO uses on ExternalSecret and stores (no observedGeneration). */
export function statusCondition(typeDescription: string) {
  return object({
    type: string({ description: typeDescription }),
    status: conditionStatus,
    reason: string({ description: 'One-word, machine-readable cause.' }),
    message: string({ description: 'What happened, for a person.' }),
    lastTransitionTime: dateTime({ description: 'When status last changed.' }),
  }, { required: ['type', 'status'] });
}
export type StatusCondition = Static<ReturnType<typeof statusCondition>>;

/** The parts of metav1.ObjectMeta Hush reads; everything else is kept as the API server returns it. */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: {
    apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean;
  }[];
  [key: string]: unknown;
}

