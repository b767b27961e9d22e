/**
 * Wires the controllers together: informers (one per kind), indexes, work
 * queues, reconcilers, and the event handlers that map a change on one kind
 * to the keys of another. Everything here is plumbing; the behaviour lives in
 * the reconcilers.
 *
 * Event mapping (why each exists):
 *  - ExternalSecret spec/metadata change  → that ES (status-only writes are ignored, or
 *    our own status updates would wake us in a loop and defeat the backoff)
 *  - managed Secret changed or deleted    → the ES that targets it (drift repair at once)
 *  - store added, changed, Ready flipped  → the store, and every ES that uses it (recovery
 *    within seconds of a store coming back, instead of waiting out the ES's backoff)
 *  - namespace labels changed             → every ClusterExternalSecret; the store resolver
 *    reads namespace labels for ClusterSecretStore conditions at use time
 *  - SopsSecret spec/metadata change      → that SopsSecret
 *  - Secret written by a SopsSecret changed or deleted → its owner (drift repair at once)
 */
import type { KubeClient } from '../kube/client.ts';
import { EventRecorder } from '../kube/events.ts';
import { Informer } from '../kube/informer.ts';
import { Namespaces, Secrets, splitObjectKey, type KubeObject } from '../kube/resources.ts';
import { WorkQueue, runWorkers } from '../kube/workqueue.ts';
import { providerFor } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';
import { HushError, describeError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerMetrics } from '../metrics/hush.ts';
import { ClusterExternalSecretReconciler, type ClusterExternalSecretObject } from './clusterexternalsecret/reconciler.ts';
import { ExternalSecretReconciler } from './externalsecret/reconciler.ts';
import type { ExternalSecretObject } from './externalsecret/spec.ts';
import { cesOwnerOf, parseStoreKey, storeKey, storesOf, targetOf } from './indexes.ts';
import { ClusterExternalSecrets, ClusterSecretStores, ExternalSecrets, LABEL_MANAGED, SecretStores } from './resources.ts';
import { StoreReconciler } from './stores/reconciler.ts';
import { StoreResolver } from './stores/resolver.ts';
import { SopsSecretReconciler } from './sopssecret/reconciler.ts';
import { LABEL_SOPS_MANAGED, SopsSecrets, type SopsSecretObject } from './sopssecret/resources.ts';
import { readyCondition, type StoreObject } from './stores/types.ts';

export interface ManagerOptions {
  kube: KubeClient;
  logger: Logger;
  metrics: ControllerMetrics;
  /** Watch only this namespace (ExternalSecrets, SecretStores, Secrets); ClusterExternalSecrets are off then. */
  namespace?: string | undefined;
  controllerClass: string;
  concurrency: number;
  enableClusterStores: boolean;
  enableClusterExternalSecrets: boolean;
  providerFor?: (key: string) => Provider | undefined;
  /** Run the SopsSecret controller (needs the secrets.hush.dev CRD); default true. */
  enableSopsSecrets?: boolean;
  /** age identities offered to every SopsSecret after its own keys; default $SOPS_AGE_KEY_FILE. */
  sopsAgeKeyFile?: string | undefined;
}

interface Reconcile {
  (key: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }>;
}

export class Manager {
  private readonly o: ManagerOptions;
  readonly externalSecrets: Informer<ExternalSecretObject>;
  readonly stores: Informer<StoreObject>;
  readonly clusterStores: Informer<StoreObject>;
  readonly clusterExternalSecrets: Informer<ClusterExternalSecretObject> | undefined;
  readonly namespaces: Informer<KubeObject>;
  readonly secrets: Informer<KubeObject>;
  private readonly esQueue = new WorkQueue<string>({ name: 'externalsecret' });
  // Store checks back off to at most 5 s: an unreachable store is re-checked every few seconds so that
  // the ExternalSecrets waiting on it are released within seconds of it coming back.
  private readonly storeQueue = new WorkQueue<string>({ name: 'secretstore', maxDelayMs: 5_000 });
  private readonly cesQueue = new WorkQueue<string>({ name: 'clusterexternalsecret' });
  /** SopsSecrets and the Secrets they wrote (metadata only, by label); undefined when disabled. */
  readonly sops: { informer: Informer<SopsSecretObject>; secrets: Informer<KubeObject> } | undefined;
  // A SopsSecret waiting for a key Secret or Vault is retried at least once a minute: nothing else wakes it.
  private readonly sopsQueue = new WorkQueue<string>({ name: 'sopssecret', maxDelayMs: 60_000 });
  readonly resolver: StoreResolver;
  private synced = false;

  constructor(o: ManagerOptions) {
    this.o = o;
    const ns = o.namespace;
    const logger = o.logger;
    this.externalSecrets = new Informer<ExternalSecretObject>(o.kube, ExternalSecrets, {
      ...(ns ? { namespace: ns } : {}),
      indexers: { store: storesOf, target: targetOf, cesOwner: cesOwnerOf },
      logger: logger.child({ informer: 'externalsecrets' }),
    });
    this.stores = new Informer<StoreObject>(o.kube, SecretStores, { ...(ns ? { namespace: ns } : {}), logger: logger.child({ informer: 'secretstores' }) });
    this.clusterStores = new Informer<StoreObject>(o.kube, ClusterSecretStores, { logger: logger.child({ informer: 'clustersecretstores' }) });
    this.namespaces = new Informer<KubeObject>(o.kube, Namespaces, { metadataOnly: true, ...(ns ? { fieldSelector: `metadata.name=${ns}` } : {}), logger: logger.child({ informer: 'namespaces' }) });
    // Managed Secrets only, and metadata only: memory grows with what Hush manages, not with every Secret in the cluster (ESO #2608).
    this.secrets = new Informer<KubeObject>(o.kube, Secrets, {
      ...(ns ? { namespace: ns } : {}),
      metadataOnly: true,
      labelSelector: `${LABEL_MANAGED}=true`,
      logger: logger.child({ informer: 'secrets' }),
    });
    this.clusterExternalSecrets =
      o.enableClusterExternalSecrets && !ns
        ? new Informer<ClusterExternalSecretObject>(o.kube, ClusterExternalSecrets, { logger: logger.child({ informer: 'clusterexternalsecrets' }) })
        : undefined;

    const events = new EventRecorder(o.kube, { component: 'external-secrets', logger });
    const pf = o.providerFor ?? providerFor;
    this.resolver = new StoreResolver({
      kube: o.kube,
      stores: this.stores,
      clusterStores: this.clusterStores,
      namespaces: this.namespaces,
      providerFor: pf,
      controllerClass: o.controllerClass,
      recordCall: (provider, call, status) => o.metrics.providerCalls.inc({ provider, call, status }),
      onClientCountChange: (provider, delta) => o.metrics.storeClients.inc({ provider }, delta),
      logger,
    });
    const esReconciler = new ExternalSecretReconciler({ kube: o.kube, externalSecrets: this.externalSecrets, managedSecrets: this.secrets, stores: this.resolver, events, metrics: o.metrics, logger: logger.child({ controller: 'externalsecret' }) });
    const storeReconcilers = {
      SecretStore: new StoreReconciler({ kube: o.kube, informer: this.stores, kind: 'SecretStore', resolver: this.resolver, providerFor: pf, events: new EventRecorder(o.kube, { component: 'secret-store', logger }), metrics: o.metrics, logger: logger.child({ controller: 'secretstore' }) }),
      ClusterSecretStore: new StoreReconciler({ kube: o.kube, informer: this.clusterStores, kind: 'ClusterSecretStore', resolver: this.resolver, providerFor: pf, events: new EventRecorder(o.kube, { component: 'cluster-secret-store', logger }), metrics: o.metrics, logger: logger.child({ controller: 'clustersecretstore' }) }),
    };
    this.reconcileEs = (key, signal) => {
      const { namespace, name } = splitObjectKey(key);
      return esReconciler.reconcile(namespace ?? '', name, signal);
    };
    this.reconcileStore = (key, signal) => {
      const k = parseStoreKey(key);
      return storeReconcilers[k.kind].reconcile(k.namespace, k.name, signal);
    };
    if (this.clusterExternalSecrets) {
      const ces = new ClusterExternalSecretReconciler({ kube: o.kube, informer: this.clusterExternalSecrets, namespaces: this.namespaces, externalSecrets: this.externalSecrets, events: new EventRecorder(o.kube, { component: 'external-secrets', logger }), metrics: o.metrics, logger: logger.child({ controller: 'clusterexternalsecret' }) });
      this.reconcileCes = (key, signal) => ces.reconcile(key, signal);
    } else {
      this.reconcileCes = () => Promise.resolve({});
    }
    if (o.enableSopsSecrets ?? true) {
      this.sops = {
        informer: new Informer<SopsSecretObject>(o.kube, SopsSecrets, { ...(ns ? { namespace: ns } : {}), logger: logger.child({ informer: 'sopssecrets' }) }),
        secrets: new Informer<KubeObject>(o.kube, Secrets, { ...(ns ? { namespace: ns } : {}), metadataOnly: true, labelSelector: `${LABEL_SOPS_MANAGED}=true`, logger: logger.child({ informer: 'sopssecret-secrets' }) }),
      };
      const sopsReconciler = new SopsSecretReconciler({
        kube: o.kube,
        sopsSecrets: this.sops.informer,
        managedSecrets: this.sops.secrets,
        events: new EventRecorder(o.kube, { component: 'hush-sopssecret', logger }),
        metrics: o.metrics,
        logger: logger.child({ controller: 'sopssecret' }),
        defaultAgeKeyFile: 'sopsAgeKeyFile' in o ? o.sopsAgeKeyFile : process.env.SOPS_AGE_KEY_FILE || undefined,
      });
      this.reconcileSops = (key, signal) => {
        const { namespace, name } = splitObjectKey(key);
        return sopsReconciler.reconcile(namespace ?? '', name, signal);
      };
    } else {
      this.reconcileSops = () => Promise.resolve({});
    }
    this.wireEvents();
  }

  private readonly reconcileSops: Reconcile;

  private readonly reconcileEs: Reconcile;
  private readonly reconcileStore: Reconcile;
  private readonly reconcileCes: Reconcile;

  private wireEvents(): void {
    const esKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const enqueueEsOfStore = (key: string) => {
      for (const es of this.externalSecrets.byIndex('store', key)) this.esQueue.add(esKey(es));
    };
    this.externalSecrets.onAdd((es) => this.esQueue.add(esKey(es)));
    this.externalSecrets.onUpdate((a, b) => {
      if (!specOrMetaChanged(a, b)) return; // status writes: nothing for us or the parent ClusterExternalSecret
      this.esQueue.add(esKey(b));
      for (const uid of cesOwnerOf(b)) this.enqueueCesByUid(uid);
    });
    this.externalSecrets.onDelete((es) => {
      this.esQueue.add(esKey(es));
      for (const uid of cesOwnerOf(es)) this.enqueueCesByUid(uid);
    });

    const onSecret = (s: KubeObject) => {
      for (const es of this.externalSecrets.byIndex('target', `${s.metadata.namespace ?? ''}/${s.metadata.name}`)) this.esQueue.add(esKey(es));
    };
    this.secrets.onUpdate((a, b) => {
      if (a.metadata.resourceVersion !== b.metadata.resourceVersion) onSecret(b);
    });
    this.secrets.onDelete(onSecret);

    for (const [kind, informer] of [['SecretStore', this.stores], ['ClusterSecretStore', this.clusterStores]] as const) {
      const keyOf = (s: StoreObject) => storeKey(kind, s.metadata.namespace, s.metadata.name);
      informer.onAdd((s) => {
        this.storeQueue.add(keyOf(s));
        enqueueEsOfStore(keyOf(s));
      });
      informer.onUpdate((a, b) => {
        if (a.metadata.generation !== b.metadata.generation || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp) this.storeQueue.add(keyOf(b));
        const wasReady = readyCondition(a)?.status === 'True';
        const isReady = readyCondition(b)?.status === 'True';
        // A store that turns Ready (again) releases every ExternalSecret waiting on it, now. Turning
        // not-Ready wakes nobody: their next read would fail anyway, and they keep their Secrets.
        if ((isReady && !wasReady) || a.metadata.generation !== b.metadata.generation) enqueueEsOfStore(keyOf(b));
      });
      informer.onDelete((s) => {
        this.storeQueue.add(keyOf(s));
        enqueueEsOfStore(keyOf(s));
      });
    }

    if (this.sops) {
      const { informer, secrets } = this.sops;
      const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      informer.onAdd((s) => this.sopsQueue.add(key(s)));
      informer.onUpdate((a, b) => {
        if (specOrMetaChanged(a, b)) this.sopsQueue.add(key(b));
      });
      informer.onDelete((s) => this.sopsQueue.add(key(s)));
      const onSecret = (s: KubeObject) => {
        const owner = s.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'SopsSecret');
        if (owner) this.sopsQueue.add(`${s.metadata.namespace ?? ''}/${owner.name}`);
      };
      secrets.onUpdate((a, b) => {
        if (a.metadata.resourceVersion === b.metadata.resourceVersion) return;
        onSecret(b);
        onSecret(a); // an ownerReference someone removed still names the SopsSecret to wake
      });
      secrets.onDelete(onSecret);
    }

    // ClusterSecretStore conditions may select namespaces by label: a label change can grant access.
    this.namespaces.onUpdate((a, b) => {
      if (JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {})) return;
      for (const es of this.externalSecrets.list(b.metadata.name)) {
        if (storesOf(es).some((k) => k.startsWith('ClusterSecretStore/'))) this.esQueue.add(esKey(es));
      }
    });

    if (this.clusterExternalSecrets) {
      const ces = this.clusterExternalSecrets;
      ces.onAdd((c) => this.cesQueue.add(c.metadata.name));
      ces.onUpdate((a, b) => {
        if (specOrMetaChanged(a, b)) this.cesQueue.add(b.metadata.name);
      });
      ces.onDelete((c) => this.cesQueue.add(c.metadata.name));
      const all = () => {
        for (const c of ces.list()) this.cesQueue.add(c.metadata.name);
      };
      this.namespaces.onAdd(all);
      this.namespaces.onUpdate((a, b) => {
        if (JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp) all();
      });
      this.namespaces.onDelete(all);
    }
  }

  private enqueueCesByUid(uid: string): void {
    const ces = this.clusterExternalSecrets?.list().find((c) => c.metadata.uid === uid);
    if (ces) this.cesQueue.add(ces.metadata.name);
  }

  /** True once every cache has its initial list. */
  isSynced(): boolean {
    return this.synced;
  }

  /** Starts caches and workers; resolves when `signal` aborts and the workers have drained. */
  async run(signal: AbortSignal): Promise<void> {
    const informers: { start(signal: AbortSignal): Promise<void> }[] = [this.stores, this.secrets, this.externalSecrets];
    // Namespace labels matter only to ClusterSecretStore conditions and ClusterExternalSecret selectors;
    // without those, a namespace-scoped install needs no cluster-wide read of namespaces.
    if (this.o.enableClusterStores || this.clusterExternalSecrets) informers.push(this.namespaces);
    if (this.o.enableClusterStores) informers.push(this.clusterStores);
    if (this.clusterExternalSecrets) informers.push(this.clusterExternalSecrets);
    if (this.sops) informers.push(this.sops.informer, this.sops.secrets);
    await Promise.all(informers.map((i) => i.start(signal)));
    this.synced = true;
    this.o.logger.info('caches synced, starting workers', { concurrency: this.o.concurrency });
    const stop = () => {
      this.esQueue.shutDown();
      this.storeQueue.shutDown();
      this.cesQueue.shutDown();
      this.sopsQueue.shutDown();
    };
    signal.addEventListener('abort', stop, { once: true });
    const depth = setInterval(() => {
      this.o.metrics.queueDepth.set({ controller: 'externalsecret' }, this.esQueue.len());
      this.o.metrics.queueDepth.set({ controller: 'secretstore' }, this.storeQueue.len());
      this.o.metrics.queueDepth.set({ controller: 'clusterexternalsecret' }, this.cesQueue.len());
      if (this.sops) this.o.metrics.queueDepth.set({ controller: 'sopssecret' }, this.sopsQueue.len());
    }, 5000);
    depth.unref();
    try {
      await Promise.all([
        runWorkers(this.storeQueue, Math.max(1, Math.ceil(this.o.concurrency / 2)), (k) => this.handle('secretstore', this.storeQueue, this.reconcileStore, k, signal), signal),
        runWorkers(this.esQueue, this.o.concurrency, (k) => this.handle('externalsecret', this.esQueue, this.reconcileEs, k, signal), signal),
        runWorkers(this.cesQueue, 1, (k) => this.handle('clusterexternalsecret', this.cesQueue, this.reconcileCes, k, signal), signal),
        runWorkers(this.sopsQueue, Math.max(1, Math.ceil(this.o.concurrency / 2)), (k) => this.handle('sopssecret', this.sopsQueue, this.reconcileSops, k, signal), signal),
      ]);
    } finally {
      clearInterval(depth);
      await this.resolver.closeAll();
    }
  }

  /** Runs one reconcile and turns its outcome into queue actions. */
  private async handle(controller: string, queue: WorkQueue<string>, reconcile: Reconcile, key: string, signal: AbortSignal): Promise<void> {
    try {
      const result = await reconcile(key, signal);
      queue.forget(key);
      if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (signal.aborted) return;
      const e = err instanceof HushError ? err : undefined;
      if (e && !e.retryable) {
        queue.forget(key);
        return;
      }
      if (e?.retryAfterMs) queue.addAfter(key, e.retryAfterMs);
      else queue.addRateLimited(key);
      // An ExternalSecret that finds its store unreachable asks for the store to be checked now, so the
      // store turns not-Ready at once and its return (Ready again) re-queues every waiting ExternalSecret.
      // Rejected credentials: drop the stores' clients so the next attempt connects afresh and reads
      // rotated credentials, CA bundles and client certificates again.
      // A store that throttles is paused for everyone who uses it, not per ExternalSecret.
      if (controller === 'externalsecret' && e?.code === 'Throttled') {
        const { namespace, name } = splitObjectKey(key);
        const es = this.externalSecrets.get(name, namespace);
        for (const s of es ? storesOf(es) : []) {
          const k = parseStoreKey(s);
          this.resolver.pauseStore(k.kind, k.namespace, k.name, e.retryAfterMs ?? 5_000);
        }
      }
      if (controller === 'externalsecret' && e?.code === 'AuthFailed') {
        const { namespace, name } = splitObjectKey(key);
        const es = this.externalSecrets.get(name, namespace);
        for (const s of es ? storesOf(es) : []) {
          const k = parseStoreKey(s);
          this.resolver.forgetStore(k.kind, k.namespace, k.name);
        }
      }
      if (controller === 'externalsecret' && (e?.code === 'Unavailable' || e?.code === 'Timeout')) {
        const { namespace, name } = splitObjectKey(key);
        const es = this.externalSecrets.get(name, namespace);
        for (const s of es ? storesOf(es) : []) {
          const k = parseStoreKey(s);
          const store = k.kind === 'SecretStore' ? this.stores.get(k.name, k.namespace) : this.clusterStores.get(k.name);
          // Only stores still marked Ready: one already not-Ready is being re-checked on its own backoff.
          if (store && readyCondition(store)?.status === 'True') this.storeQueue.add(s);
        }
      }
      if (!e) this.o.logger.error('Reconciler error', { controller, key, error: describeError(err) });
    }
  }
}

/**
 * What a reconcile depends on: spec (generation), labels, annotations (force-sync) and deletion.
 * Status writes and our own finalizer patch are left out, or every reconcile would wake itself
 * again at once and a failing object would skip its backoff.
 */
function specOrMetaChanged(a: KubeObject, b: KubeObject): boolean {
  const ma = a.metadata;
  const mb = b.metadata;
  return (
    ma.generation !== mb.generation ||
    ma.deletionTimestamp !== mb.deletionTimestamp ||
    JSON.stringify(ma.labels ?? {}) !== JSON.stringify(mb.labels ?? {}) ||
    JSON.stringify(ma.annotations ?? {}) !== JSON.stringify(mb.annotations ?? {})
  );
}
