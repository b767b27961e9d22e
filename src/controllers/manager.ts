/**
 * Wiring only: the shared caches and services, and the list of controllers.
 * What wakes each controller and what it does lives in its own folder
 * (`controllers/<name>/controller.ts`); the runtime that runs them is
 * kube/controller.ts. A new controller is a folder and one line in
 * `controllerFactories` below.
 *
 * Lifetimes: run() = startCaches() + runControllers(). `hush controller` with
 * leader election calls them apart: the caches start (and stay warm) at once,
 * the controllers run only while this replica holds the Lease.
 */
import { EgressPolicy } from '../net/egress.ts';
import type { KubeClient } from '../kube/client.ts';
import { ControllerManager } from '../kube/controller.ts';
import { Namespaces, type KubeObject } from '../kube/resources.ts';
import { providerFor as defaultProviderFor } from '../providers/registry.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerMetrics } from '../metrics/hush.ts';
import { clusterExternalSecretController } from './clusterexternalsecret/controller.ts';
import { newEventRecorder, type ControllerContext, type ControllerFactory, type ControllerOptions, type SharedCaches } from './context.ts';
import { externalSecretController } from './externalsecret/controller.ts';
import type { ExternalSecretObject } from './externalsecret/spec.ts';
import { cesOwnerOf, parseStoreKey, storeKey, storesOf, targetOf } from './indexes.ts';
import { ClusterSecretStores, ExternalSecrets, SecretStores } from './resources.ts';
import { sopsSecretController } from './sopssecret/controller.ts';
import { STORE_CONTROLLER, clusterSecretStoreController, secretStoreController } from './stores/controller.ts';
import { StoreHealth } from './stores/health.ts';
import { StoreResolver } from './stores/resolver.ts';
import { providerKeyOf, readyCondition, type StoreObject } from './stores/types.ts';
import { budgetFor } from '../read/budget.ts';
import { ReadEngine, type StoreIdentity } from '../read/engine.ts';
import { changeDetectionCondition, readBudgetCondition } from '../read/budget-report.ts';

/** Every controller, in registration order. */
const controllerFactories: ControllerFactory[] = [
  secretStoreController,
  clusterSecretStoreController,
  externalSecretController,
  clusterExternalSecretController,
  sopsSecretController,
];

export interface ManagerOptions extends ControllerOptions {
  kube: KubeClient;
  logger: Logger;
  metrics: ControllerMetrics;
}

export class Manager {
  private readonly o: ManagerOptions;
  readonly runtime: ControllerManager;
  readonly caches: SharedCaches;
  readonly resolver: StoreResolver;
  readonly egress: EgressPolicy;
  readonly readEngine: ReadEngine;

  constructor(o: ManagerOptions) {
    this.o = o;
    this.egress = o.egress ?? EgressPolicy.fromEnv(process.env);
    const ns = o.namespace;
    const runtime = new ControllerManager({ kube: o.kube, logger: o.logger });
    this.runtime = runtime;
    // Namespace labels matter only to ClusterSecretStore conditions and ClusterExternalSecret selectors;
    // without those, a namespace-scoped install needs no cluster-wide read of namespaces.
    const needNamespaces = o.enableClusterStores || (o.enableClusterExternalSecrets && !ns);
    this.caches = {
      externalSecrets: runtime.informer<ExternalSecretObject>(ExternalSecrets, ns ? { namespace: ns } : {}, { store: storesOf, target: targetOf, cesOwner: cesOwnerOf }),
      stores: runtime.informer<StoreObject>(SecretStores, ns ? { namespace: ns } : {}),
      clusterStores: o.enableClusterStores ? runtime.informer<StoreObject>(ClusterSecretStores) : undefined,
      namespaces: needNamespaces ? runtime.informer<KubeObject>(Namespaces, { metadataOnly: true, ...(ns ? { fieldSelector: `metadata.name=${ns}` } : {}) }) : undefined,
    };
    const providerFor = o.providerFor ?? defaultProviderFor;
    const m = o.metrics;
    const storeLabels = (s: StoreIdentity) => ({ kind: s.kind, namespace: s.namespace ?? '', name: s.name });
    this.readEngine = new ReadEngine({
      logger: o.logger,
      onFeedState: (store, state) => m.storeFeedFailing.set(storeLabels(store), state.failing ? 1 : 0),
      metricsFor: (store) => {
        const l = storeLabels(store);
        return {
          call: (call, outcome) => m.storeCalls.inc({ ...l, call, outcome }),
          batched: (size) => m.storeBatchedReads.inc(l, size),
          queueWait: (ms) => m.storeQueueWait.inc(l, ms / 1000),
          refused: (reason) => m.storeRefusedCalls.inc({ ...l, reason }),
          shared: () => m.storeSharedReads.inc(l),
        };
      },
    });
    this.resolver = new StoreResolver({
      kube: o.kube,
      stores: this.caches.stores,
      clusterStores: this.caches.clusterStores,
      namespaces: this.caches.namespaces,
      providerFor,
      controllerClass: o.controllerClass,
      recordCall: (provider, call, status) => o.metrics.providerCalls.inc({ provider, call, status }),
      onClientCountChange: (provider, delta) => o.metrics.storeClients.inc({ provider }, delta),
      credentialPolicy: o.credentialPolicy,
      logger: o.logger,
      egress: this.egress,
      maxResponseBytes: o.maxResponseBytes,
      webhookClusterStoresOnly: o.webhookClusterStoresOnly,
      onClientDropped: (id) => this.readEngine.retire(id),
    });
    // A store's hush.dev/ budget annotations apply at once, not at its ExternalSecrets' next
    // reconcile: annotations move no generation, and a quiet store's ExternalSecrets may not
    // reconcile for minutes while its scheduler goes on reading.
    const budgetWatch = (kind: 'SecretStore' | 'ClusterSecretStore') => (_old: StoreObject, s: StoreObject): void => {
      const pk = providerKeyOf(s.spec);
      if ('error' in pk) return;
      try {
        this.readEngine.updateBudget(storeKey(kind, s.metadata.namespace, s.metadata.name), budgetFor(pk.key, s.spec.provider?.[pk.key], s.metadata.annotations));
      } catch {
        // A bad annotation is reported where the store is used (resolve); the old budget stays.
      }
    };
    this.caches.stores.onUpdate(budgetWatch('SecretStore'));
    this.caches.clusterStores?.onUpdate(budgetWatch('ClusterSecretStore'));
    const storeHealth = new StoreHealth({
      resolver: this.resolver,
      isReady: (key) => {
        const k = parseStoreKey(key);
        const store = k.kind === 'SecretStore' ? this.caches.stores.get(k.name, k.namespace) : this.caches.clusterStores?.get(k.name);
        return store ? readyCondition(store)?.status === 'True' : undefined;
      },
      recheck: (key) => runtime.enqueue(STORE_CONTROLLER[parseStoreKey(key).kind], key),
      logger: o.logger,
    });
    const ctx: ControllerContext = {
      kube: o.kube,
      logger: o.logger,
      metrics: o.metrics,
      options: { ...o, egress: this.egress },
      runtime,
      caches: this.caches,
      resolver: this.resolver,
      storeHealth,
      readEngine: this.readEngine,
      providerFor,
      events: (component) => newEventRecorder(o.kube, o.logger, component),
    };
    for (const factory of controllerFactories) {
      const def = factory(ctx);
      if (def) runtime.register(def);
    }
  }

  /** True once every cache has its initial list. */
  isSynced(): boolean {
    return this.runtime.hasSynced();
  }

  /** Starts the caches; resolves once all are synced. They run until `signal` aborts. */
  startCaches(signal: AbortSignal): Promise<void> {
    return this.runtime.startCaches(signal);
  }

  /**
   * Runs the controllers until `signal` aborts (for example: leadership lost), then closes the
   * store clients. The caches keep running; call again to resume.
   */
  async runControllers(signal: AbortSignal): Promise<void> {
    const depth = setInterval(() => {
      for (const [controller, n] of Object.entries(this.runtime.queueLengths())) this.o.metrics.queueDepth.set({ controller }, n);
      this.exportStoreStats();
    }, 5000);
    depth.unref();
    try {
      await this.runtime.runControllers(signal);
    } finally {
      clearInterval(depth);
      await this.resolver.closeAll();
      this.readEngine.close();
    }
  }

  /** The budget picture each store last reported (its ReadBudget condition), by store key. */
  private readonly budgetShown = new Map<string, string>();

  /**
   * The governors' budgets and states as gauges; and a store whose budget picture changed
   * (over or within, or the rounded numbers) is checked again, so its ReadBudget condition says so.
   */
  private exportStoreStats(): void {
    const m = this.o.metrics;
    const seen = new Set<string>();
    for (const s of this.readEngine.storeStats()) {
      const key = s.store.storeKey;
      seen.add(key);
      const picture = [
        readBudgetCondition({ neededCallsPerSecond: s.neededCallsPerSecond, allowedCallsPerSecond: s.budget.callsPerSecond, shortestIntervalMs: s.shortestIntervalMs }, undefined, new Date(0))?.message ?? '',
        changeDetectionCondition(s.feed, s.neededCallsPerSecond > 0, undefined, new Date(0))?.message ?? '',
      ].join('\n');
      if ((this.budgetShown.get(key) ?? '') !== picture) {
        this.budgetShown.set(key, picture);
        this.runtime.enqueue(STORE_CONTROLLER[s.store.kind], key);
      }
      const l = { kind: s.store.kind, namespace: s.store.namespace ?? '', name: s.store.name };
      m.storeBudget.set(l, s.budget.callsPerSecond);
      m.storeRate.set(l, s.state.callsPerSecond);
      m.storeNeeded.set(l, s.neededCallsPerSecond);
      m.storeInFlight.set(l, s.state.inFlight);
    }
    for (const key of this.budgetShown.keys()) if (!seen.has(key)) this.budgetShown.delete(key);
    // Stores nobody reads any more: their governors go, and so do their gauges.
    const before = new Set(seen);
    this.readEngine.sweep();
    const after = new Set(this.readEngine.storeStats().map((s) => s.store.storeKey));
    for (const key of before) {
      if (after.has(key)) continue;
      const k = parseStoreKey(key);
      const l = { kind: k.kind, namespace: k.namespace ?? '', name: k.name };
      for (const g of [m.storeBudget, m.storeRate, m.storeNeeded, m.storeInFlight, m.storeFeedFailing]) g.remove(l);
    }
  }

  /** Starts caches and controllers; resolves when `signal` aborts and the workers have drained. */
  async run(signal: AbortSignal): Promise<void> {
    await this.startCaches(signal);
    this.o.logger.info('caches synced, starting workers', { concurrency: this.o.concurrency });
    await this.runControllers(signal);
    await this.runtime.cachesStopped();
  }
}
