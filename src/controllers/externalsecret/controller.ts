/**
 * The ExternalSecret controller: what wakes an ExternalSecret, and its reconciler.
 *
 *  - its own spec, labels, annotations (force-sync) or deletion; status-only writes are
 *    ignored, or our own status updates would wake us in a loop and defeat the backoff
 *  - its managed Secret changed or deleted → drift repair at once
 *  - a store it uses was added, deleted, changed its spec, or turned Ready → recovery within
 *    seconds of a store coming back, instead of waiting out the ExternalSecret's backoff.
 *    Turning not-Ready wakes nobody: their next read would fail anyway, and they keep their Secrets.
 *  - the labels of its namespace changed, and it uses a ClusterSecretStore → the store's
 *    spec.conditions may select namespaces by label, so access may have been granted
 *  - the read engine saw a changed answer of a ref it reads (read/reader.ts), or the reads a
 *    reconcile left running finished
 */
import type { ControllerDefinition, Watch } from '../../kube/controller.ts';
import { Secrets, objectKey, type KubeObject } from '../../kube/resources.ts';
import { specOrMetaChanged, type ControllerContext } from '../context.ts';
import { storeKey, storesOf } from '../indexes.ts';
import { LABEL_MANAGED } from '../resources.ts';
import { readyCondition, type StoreObject } from '../stores/types.ts';
import { splitObjectKey } from '../../kube/resources.ts';
import { ExternalSecretReconciler } from './reconciler.ts';
import type { ExternalSecretObject } from './spec.ts';

export function externalSecretController(ctx: ControllerContext): ControllerDefinition<ExternalSecretObject> {
  const { caches, options } = ctx;
  const ns = options.namespace;
  const es = caches.externalSecrets;
  // Managed Secrets only, and metadata only: memory grows with what Hush manages, not with every Secret in the cluster (ESO #2608).
  const managedSecrets = ctx.runtime.informer<KubeObject>(Secrets, { ...(ns ? { namespace: ns } : {}), metadataOnly: true, labelSelector: `${LABEL_MANAGED}=true` });

  const reconciler = new ExternalSecretReconciler({
    kube: ctx.kube,
    externalSecrets: es,
    managedSecrets,
    stores: ctx.resolver,
    storeHealth: ctx.storeHealth,
    events: ctx.events('external-secrets'),
    metrics: ctx.metrics,
    logger: ctx.logger.child({ controller: 'externalsecret' }),
    engine: ctx.readEngine,
    enqueue: (key) => ctx.runtime.enqueue('externalsecret', key),
  });
  // A changed answer wakes exactly the ExternalSecrets that read it.
  ctx.readEngine.onWake((keys) => {
    reconciler.noteChanged(keys);
    for (const k of keys) ctx.runtime.enqueue('externalsecret', k);
  });
  ctx.readEngine.onRefreshRequest((keys) => {
    reconciler.requestRefresh(keys);
    for (const k of keys) ctx.runtime.enqueue('externalsecret', k);
  });

  const usersOf = (kind: 'SecretStore' | 'ClusterSecretStore') => (s: StoreObject) => es.byIndex('store', storeKey(kind, s.metadata.namespace, s.metadata.name)).map(objectKey);
  const storeWatch = (kind: 'SecretStore' | 'ClusterSecretStore', informer: ControllerContext['caches']['stores']): Watch<StoreObject> => ({
    informer,
    onAdd: usersOf(kind),
    onUpdate: (a, b) => {
      const turnedReady = readyCondition(b)?.status === 'True' && readyCondition(a)?.status !== 'True';
      return turnedReady || a.metadata.generation !== b.metadata.generation ? usersOf(kind)(b) : [];
    },
    onDelete: usersOf(kind),
  });
  const targetsOf = (s: KubeObject) => es.byIndex('target', objectKey(s)).map(objectKey);

  const watches: Watch<any>[] = [ // eslint-disable-line @typescript-eslint/no-explicit-any -- watches of several object types
    {
      informer: managedSecrets,
      onUpdate: (a: KubeObject, b: KubeObject) => (a.metadata.resourceVersion !== b.metadata.resourceVersion ? targetsOf(b) : []),
      onDelete: targetsOf,
    } satisfies Watch<KubeObject>,
    storeWatch('SecretStore', caches.stores),
  ];
  if (caches.clusterStores) watches.push(storeWatch('ClusterSecretStore', caches.clusterStores));
  if (caches.clusterStores && caches.namespaces) {
    watches.push({
      informer: caches.namespaces,
      onUpdate: (a: KubeObject, b: KubeObject) => {
        if (JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {})) return [];
        return es.list(b.metadata.name).filter((x) => storesOf(x).some((k) => k.startsWith('ClusterSecretStore/'))).map(objectKey);
      },
    } satisfies Watch<KubeObject>);
  }

  return {
    name: 'externalsecret',
    for: { informer: es, updateNeedsReconcile: specOrMetaChanged },
    watches,
    concurrency: options.concurrency,
    reconcile: (key, rctx) => {
      const { namespace, name } = splitObjectKey(key);
      return reconciler.reconcile(namespace ?? '', name, rctx);
    },
  };
}
