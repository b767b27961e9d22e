/**
 * Finds the store an ExternalSecret refers to, enforces who may use it, and
 * hands out one connected client per store.
 *
 * Why a client cache: ESO builds a client (and logs in to Vault) on every
 * reconcile. Hush connects once per store and reuses the client until the
 * store's spec changes (keyed by uid + generation — not resourceVersion,
 * which also moves on every status write). Concurrent reconciles share one
 * in-flight connect.
 */
import type { KubeClient } from '../../kube/client.ts';
import type { Informer } from '../../kube/informer.ts';
import type { KubeObject } from '../../kube/resources.ts';
import { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy, type CredentialPolicyOptions } from '../../providers/ambient.ts';
import type { EgressPolicy } from '../../net/egress.ts';
import { EgressGuard } from '../../net/guard.ts';
import type { Provider, StoreClient } from '../../providers/types.ts';
import { AccessDeniedError, InvalidConfigError, InvalidSpecError, NotSupportedError, UnavailableError, asHushError, describeError } from '../../util/errors.ts';
import { budgetFor } from '../../read/budget.ts';
import type { BoundClient } from '../../read/engine.ts';
import type { Budget } from '../../read/governor.ts';
import { compileGoRegexp } from '../../util/goregexp.ts';
import type { Logger } from '../../util/log.ts';
import type { StoreRef } from '../externalsecret/spec.ts';
import { createKubeAccess } from './kubeaccess.ts';
import { matchesSelector } from './selector.ts';
import { providerKeyOf, readyCondition, type StoreKind, type StoreObject } from './types.ts';

export interface ResolvedStore {
  client: StoreClient;
  store: StoreObject;
  storeKind: StoreKind;
  /** `SecretStore "ns/name"` — used in status messages. */
  storeLabel: string;
  provider: Provider;
  /** The client's identity in this cache: one per store, and per namespace under referent auth. */
  clientId: string;
  /** The store's call budget: the provider's defaults and the store's hush.dev/ annotations. */
  budget: Budget;
}

/** A resolved store as the read engine takes it. */
export function boundClientOf(r: ResolvedStore): BoundClient {
  const ns = r.storeKind === 'SecretStore' ? r.store.metadata.namespace : undefined;
  return {
    store: { storeKey: `${r.storeKind}/${ns ?? ''}/${r.store.metadata.name}`, label: r.storeLabel, kind: r.storeKind, namespace: ns, name: r.store.metadata.name, provider: r.provider.name },
    clientId: r.clientId,
    client: r.client,
    budget: r.budget,
  };
}

export interface StoreResolverDeps {
  kube: KubeClient;
  stores: Informer<StoreObject>;
  /** Undefined when ClusterSecretStores are off: every reference to one is then "not found". */
  clusterStores: Informer<StoreObject> | undefined;
  /** Namespace labels for ClusterSecretStore conditions; undefined when cluster stores are off. */
  namespaces: Informer<KubeObject> | undefined;
  providerFor: (key: string) => Provider | undefined;
  controllerClass: string;
  recordCall: (provider: string, call: string, status: 'success' | 'error') => void;
  onClientCountChange?: (provider: string, delta: number) => void;
  /** Who may use the controller's own credentials and which token audiences; default DEFAULT_CREDENTIAL_POLICY. */
  credentialPolicy?: CredentialPolicyOptions | undefined;
  logger: Logger;
  /** The operator's egress policy; each store gets it in its kind's scope. */
  egress: EgressPolicy;
  /** Largest answer body a store client accepts (default: HttpClient's 4 MiB). */
  maxResponseBytes?: number | undefined;
  /** Refuse webhook SecretStores (only ClusterSecretStores may use the webhook provider). */
  webhookClusterStoresOnly?: boolean | undefined;
  /** Told when a client is dropped (its store changed or went away), with the client's id. */
  onClientDropped?: ((clientId: string) => void) | undefined;
}

interface CacheEntry {
  generationKey: string;
  provider: Provider;
  client: Promise<StoreClient>;
  abort: AbortController;
  /** Settles once the client is closed (after drop). */
  closed: Promise<void>;
  markClosed: () => void;
}

export class StoreResolver {
  private readonly deps: StoreResolverDeps;
  private readonly clients = new Map<string, CacheEntry>();

  constructor(deps: StoreResolverDeps) {
    this.deps = deps;
  }

  /** The store object from the cache, or undefined. */
  lookup(esNamespace: string, ref: StoreRef): { store: StoreObject | undefined; kind: StoreKind } {
    const kind: StoreKind = ref.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
    const store = kind === 'SecretStore' ? this.deps.stores.get(ref.name, esNamespace) : this.deps.clusterStores?.get(ref.name);
    return { store, kind };
  }

  /** spec.controller selects which controller class serves a store; empty matches every class. */
  classMatches(store: StoreObject): boolean {
    const c = store.spec.controller;
    return !c || c === this.deps.controllerClass;
  }

  /**
   * Resolves and connects. `field` is the manifest field that named the store,
   * used in every error so the user knows which reference failed.
   */
  async resolve(esNamespace: string, ref: StoreRef | undefined, field: string): Promise<ResolvedStore> {
    if (!ref?.name) throw new InvalidSpecError(`${field}: no store referenced; set spec.secretStoreRef.name`);
    const { store, kind } = this.lookup(esNamespace, ref);
    const label = kind === 'SecretStore' ? `SecretStore "${esNamespace}/${ref.name}"` : `ClusterSecretStore "${ref.name}"`;
    if (!store) {
      // Not a NotFoundError: a missing store must never read as "secret gone at the provider".
      // InvalidConfig is retried: the store may be created later, and its creation wakes us anyway.
      throw new InvalidConfigError(
        kind === 'SecretStore'
          ? `${label} not found (an ExternalSecret can only use a SecretStore in its own namespace; for a shared store use kind: ClusterSecretStore)`
          : `${label} not found`,
      );
    }
    if (kind === 'ClusterSecretStore') this.checkClusterStoreConditions(store, esNamespace, label);
    const ready = readyCondition(store);
    if (ready?.status !== 'True') {
      const why = ready?.message ? `: ${ready.message}` : ' (not validated yet)';
      throw new UnavailableError(`${label} is not ready${why}`);
    }
    const pk = providerKeyOf(store.spec);
    if ('error' in pk) throw new InvalidConfigError(`${label}: ${pk.error}`);
    const provider = this.deps.providerFor(pk.key);
    if (!provider) throw new NotSupportedError(`${label}: provider "${pk.key}" is not supported yet`);
    // A ClusterSecretStore needs the ExternalSecret's namespace only when some reference in it
    // has no namespace of its own (ESO's referent auth); otherwise one client serves everyone.
    const referent = kind === 'ClusterSecretStore' && isReferentSpec(store.spec.provider?.[pk.key]) ? esNamespace : undefined;
    let budget: Budget;
    try {
      budget = budgetFor(pk.key, store.spec.provider?.[pk.key], store.metadata.annotations);
    } catch (err) {
      throw asHushError(err).withContext(label);
    }
    const client = await this.clientFor(store, kind, provider, pk.key, referent, label);
    return { client, store, storeKind: kind, storeLabel: label, provider, clientId: clientIdOf(kind, store, referent), budget };
  }

  /** ClusterSecretStore spec.conditions: the namespace must match one entry (entries are ORed). */
  private checkClusterStoreConditions(store: StoreObject, esNamespace: string, label: string): void {
    const conditions = store.spec.conditions ?? [];
    if (conditions.length === 0) return;
    const nsLabels = this.deps.namespaces?.get(esNamespace)?.metadata.labels;
    const allowed = conditions.some((c, i) => {
      if (c.namespaces?.includes(esNamespace)) return true;
      if (c.namespaceSelector && matchesSelector(c.namespaceSelector, nsLabels)) return true;
      return (c.namespaceRegexes ?? []).some((r, j) => compileGoRegexp(r, { field: `spec.conditions[${i}].namespaceRegexes[${j}]` }).matchString(esNamespace));
    });
    if (!allowed) {
      throw new AccessDeniedError(`using ${label} is not allowed from namespace "${esNamespace}": denied by the store's spec.conditions`);
    }
  }

  /** A connected client for the store, shared while the store's spec is unchanged. */
  async clientFor(store: StoreObject, kind: StoreKind, provider: Provider, providerKey: string, referentNamespace: string | undefined, label: string): Promise<StoreClient> {
    const id = clientIdOf(kind, store, referentNamespace);
    const generationKey = `${store.metadata.uid ?? ''}/${store.metadata.generation ?? 0}`;
    const existing = this.clients.get(id);
    if (existing && existing.generationKey === generationKey) return existing.client;
    if (existing) this.drop(id, existing);

    const abort = new AbortController();
    const namespace = kind === 'SecretStore' ? store.metadata.namespace : referentNamespace;
    const credentials = storeCredentialPolicy(this.deps.credentialPolicy ?? DEFAULT_CREDENTIAL_POLICY, { storeKind: kind, namespace });
    const access = createKubeAccess(this.deps.kube, kind, store.metadata.namespace, referentNamespace, credentials);
    const metricsName = provider.metricsName;
    const connecting = (async () => {
      if (providerKey === 'webhook' && kind === 'SecretStore' && this.deps.webhookClusterStoresOnly) {
        // The webhook provider sends tenant-written requests to tenant-chosen URLs; an operator may keep it to admins.
        throw new NotSupportedError(`${label}: the webhook provider is limited to ClusterSecretStores on this controller (--webhook-provider-cluster-stores-only); ask a cluster admin for a ClusterSecretStore`);
      }
      const diags = provider.validateStore(store.spec.provider?.[providerKey], kind);
      if (diags.length > 0) {
        throw new InvalidConfigError(`${label}: ${diags.map((d) => `${d.field}: ${d.message}`).join('; ')}`);
      }
      try {
        return await provider.connect({
          storeKind: kind,
          storeName: store.metadata.name,
          namespace,
          spec: store.spec.provider?.[providerKey],
          storeSpec: store.spec as Record<string, unknown>,
          kube: access,
          credentials,
          recordCall: (call, status) => this.deps.recordCall(metricsName, call, status),
          signal: abort.signal,
          // A ClusterSecretStore is an admin's; a SecretStore is a tenant's, whose addresses are held to more rules.
          egress: new EgressGuard(this.deps.egress, kind === 'ClusterSecretStore' ? 'cluster' : 'tenant'),
          maxResponseBytes: this.deps.maxResponseBytes,
        });
      } catch (err) {
        throw asHushError(err).withContext(label);
      }
    })();
    let markClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (markClosed = r));
    const entry: CacheEntry = { generationKey, provider, client: connecting, abort, closed, markClosed };
    this.clients.set(id, entry);
    try {
      const client = await connecting;
      this.deps.onClientCountChange?.(metricsName, 1);
      return client;
    } catch (err) {
      // A failed connect is not cached: the next reconcile (after backoff) tries again.
      if (this.clients.get(id) === entry) this.clients.delete(id);
      throw err;
    }
  }

  /** Closes clients of stores that are gone or changed. Called on store delete/update events. */
  forgetStore(kind: StoreKind, namespace: string | undefined, name: string): void {
    const prefix = `${kind}/${namespace ?? ''}/${name}`;
    for (const [id, entry] of this.clients) {
      if (id === prefix || id.startsWith(`${prefix}|`)) this.drop(id, entry);
    }
  }

  private drop(id: string, entry: CacheEntry): void {
    this.clients.delete(id);
    entry.abort.abort();
    this.deps.onClientDropped?.(id);
    entry.client.then(
      (c) => {
        this.deps.onClientCountChange?.(entry.provider.metricsName, -1);
        c.close()
          .catch((err: unknown) => this.deps.logger.warn('closing store client failed', { store: id, error: describeError(err) }))
          .finally(entry.markClosed);
      },
      () => entry.markClosed(),
    );
  }

  /** Closes every client and waits (at most `timeoutMs`) for them to finish closing. */
  async closeAll(timeoutMs = 5000): Promise<void> {
    const closing = [...this.clients].map(([id, entry]) => {
      this.drop(id, entry);
      return entry.closed;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(closing), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}

/**
 * Whether a ClusterSecretStore's provider block references Kubernetes objects without a
 * namespace — SecretKeySelectors ({name, key}) or serviceAccountRef — which ESO then resolves
 * in the namespace of the ExternalSecret that uses the store.
 */
export function isReferentSpec(spec: unknown, parentKey = ''): boolean {
  if (Array.isArray(spec)) return spec.some((v) => isReferentSpec(v, parentKey));
  if (spec === null || typeof spec !== 'object') return false;
  const o = spec as Record<string, unknown>;
  const isRef = typeof o.name === 'string' && (typeof o.key === 'string' || parentKey === 'serviceAccountRef' || parentKey === 'serviceAccount');
  if (isRef && (o.namespace === undefined || o.namespace === '')) return true;
  return Object.entries(o).some(([k, v]) => isReferentSpec(v, k));
}

function clientIdOf(kind: StoreKind, store: StoreObject, referentNamespace: string | undefined): string {
  return `${kind}/${store.metadata.namespace ?? ''}/${store.metadata.name}${referentNamespace ? `|${referentNamespace}` : ''}`;
}
