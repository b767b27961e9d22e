/**
 * The SecretStore and ClusterSecretStore controllers: validate each store and
 * keep its Ready condition true to what the store answers.
 *
 * A store is checked when it is added or deleted, when its spec or deletion
 * changes (status writes, ours included, do not count), on its refresh
 * interval, and when store health asks (an ExternalSecret found it unreachable).
 * Checks back off to at most 5 s: an unreachable store is re-checked every few
 * seconds so that the ExternalSecrets waiting on it are released within seconds
 * of it coming back.
 */
import type { ControllerDefinition } from '../../kube/controller.ts';
import type { ControllerContext } from '../context.ts';
import { parseStoreKey, storeKey } from '../indexes.ts';
import { StoreReconciler } from './reconciler.ts';
import type { StoreKind, StoreObject } from './types.ts';

export const STORE_CONTROLLER: Record<StoreKind, string> = { SecretStore: 'secretstore', ClusterSecretStore: 'clustersecretstore' };

function storeController(ctx: ControllerContext, kind: StoreKind): ControllerDefinition<StoreObject> | undefined {
  const informer = kind === 'SecretStore' ? ctx.caches.stores : ctx.caches.clusterStores;
  if (!informer) return undefined;
  const name = STORE_CONTROLLER[kind];
  const reconciler = new StoreReconciler({
    kube: ctx.kube,
    informer,
    kind,
    resolver: ctx.resolver,
    providerFor: ctx.providerFor,
    events: ctx.events(kind === 'SecretStore' ? 'secret-store' : 'cluster-secret-store'),
    metrics: ctx.metrics,
    logger: ctx.logger.child({ controller: name }),
    readBudget: (key) => {
      const s = ctx.readEngine.statsOf(key);
      return s && { neededCallsPerSecond: s.neededCallsPerSecond, allowedCallsPerSecond: s.budget.callsPerSecond, shortestIntervalMs: s.shortestIntervalMs, feed: s.feed };
    },
  });
  return {
    name,
    for: {
      informer,
      key: (s) => storeKey(kind, s.metadata.namespace, s.metadata.name),
      updateNeedsReconcile: (a, b) => a.metadata.generation !== b.metadata.generation || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp,
    },
    queue: { maxDelayMs: 5_000 },
    concurrency: Math.max(1, Math.ceil(ctx.options.concurrency / 2)),
    reconcile: (key, rctx) => {
      const k = parseStoreKey(key);
      return reconciler.reconcile(k.namespace, k.name, rctx);
    },
  };
}

export const secretStoreController = (ctx: ControllerContext) => storeController(ctx, 'SecretStore');
export const clusterSecretStoreController = (ctx: ControllerContext) => storeController(ctx, 'ClusterSecretStore');
