/**
 * The shapes every Kubernetes object shares, and the resource types the
 * controllers talk to. A ResourceType carries what is needed to build a URL
 * (group, version, plural, scope) and to fill apiVersion/kind for apply; we do
 * not use discovery, so adding a type is one line here or in the caller.
 */

export interface ResourceType {
  /** API group; "" for the core group (served under /api). */
  group: string;
  version: string;
  /** Lower-case plural used in URLs, e.g. "secrets". */
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  /** Set by the server from `name` + a random suffix when name is empty. */
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  creationTimestamp?: string;
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** What a metadata-only list/watch returns: no spec, no data, just metadata. */
export interface PartialObjectMetadata extends KubeObject {
  apiVersion?: 'meta.k8s.io/v1';
  kind?: 'PartialObjectMetadata';
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

function core(version: string, plural: string, kind: string, namespaced: boolean): ResourceType {
  return Object.freeze({ group: '', version, plural, kind, namespaced });
}
function grouped(group: string, version: string, plural: string, kind: string, namespaced: boolean): ResourceType {
  return Object.freeze({ group, version, plural, kind, namespaced });
}

export const Secrets = core('v1', 'secrets', 'Secret', true);
export const ConfigMaps = core('v1', 'configmaps', 'ConfigMap', true);
export const Namespaces = core('v1', 'namespaces', 'Namespace', false);
export const ServiceAccounts = core('v1', 'serviceaccounts', 'ServiceAccount', true);
export const Pods = core('v1', 'pods', 'Pod', true);
/** core/v1 Events (what `kubectl describe` shows). */
export const Events = core('v1', 'events', 'Event', true);
export const Leases = grouped('coordination.k8s.io', 'v1', 'leases', 'Lease', true);
export const Deployments = grouped('apps', 'v1', 'deployments', 'Deployment', true);
export const StatefulSets = grouped('apps', 'v1', 'statefulsets', 'StatefulSet', true);
export const DaemonSets = grouped('apps', 'v1', 'daemonsets', 'DaemonSet', true);
export const ReplicaSets = grouped('apps', 'v1', 'replicasets', 'ReplicaSet', true);
export const CustomResourceDefinitions = grouped(
  'apiextensions.k8s.io',
  'v1',
  'customresourcedefinitions',
  'CustomResourceDefinition',
  false,
);
export const ValidatingWebhookConfigurations = grouped(
  'admissionregistration.k8s.io',
  'v1',
  'validatingwebhookconfigurations',
  'ValidatingWebhookConfiguration',
  false,
);
export const MutatingWebhookConfigurations = grouped(
  'admissionregistration.k8s.io',
  'v1',
  'mutatingwebhookconfigurations',
  'MutatingWebhookConfiguration',
  false,
);
export const Roles = grouped('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true);
export const RoleBindings = grouped('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true);
export const ClusterRoles = grouped('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false);
export const ClusterRoleBindings = grouped(
  'rbac.authorization.k8s.io',
  'v1',
  'clusterrolebindings',
  'ClusterRoleBinding',
  false,
);

/** Defines a resource type not listed above (CRDs, for example). */
export function resourceType(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
): ResourceType {
  return Object.freeze({ group, version, plural, kind, namespaced });
}

/** "v1" for the core group, "apps/v1" otherwise. */
export function apiVersionOf(rt: ResourceType): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/**
 * The cache key client-go uses: "namespace/name" for namespaced objects,
 * "name" for cluster-scoped ones. Controllers use it as their workqueue key.
 */
export function objectKey(obj: { metadata: { name: string; namespace?: string } }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}

/** Inverse of objectKey. */
export function splitObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** URL path of a collection or (with name) one object, optionally a subresource. */
export function resourcePath(rt: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const root = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  let path = root;
  if (rt.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${rt.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}
