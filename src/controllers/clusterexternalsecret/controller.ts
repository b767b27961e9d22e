/**
 * The ClusterExternalSecret controller: one ExternalSecret per selected namespace.
 *
 * Woken by its own spec, labels, annotations or deletion; by any namespace that is added,
 * deleted, relabelled or starts terminating (selection may change); and by a change to or
 * deletion of one of its children (to repair or re-create it). Off with --namespace: it
 * needs every namespace.
 */
import type { ControllerDefinition, Watch } from '../../kube/controller.ts';
import type { KubeObject } from '../../kube/resources.ts';
import { specOrMetaChanged, type ControllerContext } from '../context.ts';
import type { ExternalSecretObject } from '../externalsecret/spec.ts';
import { cesOwnerOf } from '../indexes.ts';
import { ClusterExternalSecrets } from '../resources.ts';
import { ClusterExternalSecretReconciler, type ClusterExternalSecretObject } from './reconciler.ts';

export function clusterExternalSecretController(ctx: ControllerContext): ControllerDefinition<ClusterExternalSecretObject> | undefined {
  const { options, caches } = ctx;
  if (!options.enableClusterExternalSecrets || options.namespace || !caches.namespaces) return undefined;
  const namespaces = caches.namespaces;
  const informer = ctx.runtime.informer<ClusterExternalSecretObject>(ClusterExternalSecrets, {}, { uid: (c) => (c.metadata.uid ? [c.metadata.uid] : []) });
  const reconciler = new ClusterExternalSecretReconciler({
    kube: ctx.kube,
    informer,
    namespaces,
    externalSecrets: caches.externalSecrets,
    events: ctx.events('external-secrets'),
    metrics: ctx.metrics,
    logger: ctx.logger.child({ controller: 'clusterexternalsecret' }),
  });
  const all = () => informer.list().map((c) => c.metadata.name);
  const ownersOf = (es: ExternalSecretObject) => cesOwnerOf(es).flatMap((uid) => informer.byIndex('uid', uid).map((c) => c.metadata.name));
  const labelsOrDeletion = (a: KubeObject, b: KubeObject) =>
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp;
  const watches: Watch<any>[] = [ // eslint-disable-line @typescript-eslint/no-explicit-any -- watches of several object types
    { informer: namespaces, onAdd: all, onUpdate: (a: KubeObject, b: KubeObject) => (labelsOrDeletion(a, b) ? all() : []), onDelete: all } satisfies Watch<KubeObject>,
    {
      informer: caches.externalSecrets,
      // Status writes of children are left out: they do not change what the parent wants.
      onUpdate: (a: ExternalSecretObject, b: ExternalSecretObject) => (specOrMetaChanged(a, b) ? ownersOf(b) : []),
      onDelete: ownersOf,
    } satisfies Watch<ExternalSecretObject>,
  ];
  return {
    name: 'clusterexternalsecret',
    for: { informer, key: (c) => c.metadata.name, updateNeedsReconcile: specOrMetaChanged },
    watches,
    concurrency: 1,
    reconcile: (key, rctx) => reconciler.reconcile(key, rctx.signal),
  };
}
