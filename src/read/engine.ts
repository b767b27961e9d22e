/**
 * The read engine: one governor per store, one reader per store client, and the
 * wake-ups they send to the ExternalSecret controller.
 *
 * A store may have several clients (a ClusterSecretStore with referent auth has
 * one per ExternalSecret namespace, with that namespace's credentials): reads
 * are shared only within one client, since another namespace's credentials may
 * see other things, but the budget is the store's, so all its clients share one
 * governor.
 */
import type { StoreClient } from '../providers/types.ts';
import type { Logger } from '../util/log.ts';
import { StoreGovernor, type Budget, type GovernorMetrics, type GovernorState } from './governor.ts';
import { StoreReader, type FeedState } from './reader.ts';

export interface ReadEngineOptions {
  /** Metrics for one store's governor (labels are the store's). */
  metricsFor?: (store: StoreIdentity) => GovernorMetrics | undefined;
  logger?: Logger | undefined;
  /** A store's change feed started or stopped failing. */
  onFeedState?: (store: StoreIdentity, state: FeedState) => void;
  now?: () => number;
}

export interface StoreIdentity {
  /** `SecretStore/ns/name` or `ClusterSecretStore//name`. */
  storeKey: string;
  /** `SecretStore "ns/name"`, for messages. */
  label: string;
  kind: 'SecretStore' | 'ClusterSecretStore';
  namespace: string | undefined;
  name: string;
  provider: string;
}

/** A connected client as the resolver hands it out. */
export interface BoundClient {
  store: StoreIdentity;
  /** The client's identity in the resolver's cache (store, and referent namespace). */
  clientId: string;
  client: StoreClient;
  budget: Budget;
}

export interface StoreStats {
  store: StoreIdentity;
  budget: Budget;
  state: GovernorState;
  /** Calls per second the scheduled refreshes of every reader of the store need. */
  neededCallsPerSecond: number;
  /** The shortest refreshInterval among them. */
  shortestIntervalMs: number | undefined;
  /** How the store's readers learn of changes; failing if any of its clients' feeds fails. */
  feed: FeedState | undefined;
}

type WakeListener = (esKeys: string[]) => void;

export class ReadEngine {
  private readonly o: ReadEngineOptions;
  private readonly governors = new Map<string, StoreGovernor>();
  private readonly identities = new Map<string, StoreIdentity>();
  private readonly readers = new Map<string, { reader: StoreReader; storeKey: string }>();
  private readonly listeners = new Set<WakeListener>();
  private readonly refreshListeners = new Set<(esKeys: readonly string[]) => void>();

  constructor(opts: ReadEngineOptions = {}) {
    this.o = opts;
  }

  /** The controller subscribes here to be told which ExternalSecrets to reconcile. */
  onWake(fn: WakeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The store's governor (created on first use; its budget follows the store's annotations). */
  governorFor(store: StoreIdentity, budget: Budget): StoreGovernor {
    let g = this.governors.get(store.storeKey);
    if (!g) {
      g = new StoreGovernor({ label: store.label, budget, metrics: this.o.metricsFor?.(store), ...(this.o.now ? { now: this.o.now } : {}) });
      this.governors.set(store.storeKey, g);
      this.identities.set(store.storeKey, store);
    } else if (!sameBudget(g.currentBudget, budget)) {
      g.setBudget(budget);
    }
    return g;
  }

  /** The reader for a bound client; a new client (the store changed) replaces the old reader. */
  readerFor(bound: BoundClient): StoreReader {
    const have = this.readers.get(bound.clientId);
    if (have && have.reader.client === bound.client) {
      this.governorFor(bound.store, bound.budget); // the budget may have changed (annotations)
      return have.reader;
    }
    if (have) this.retire(bound.clientId);
    const governor = this.governorFor(bound.store, bound.budget);
    const reader = new StoreReader({
      client: bound.client,
      governor,
      wake: (keys) => this.emit(keys),
      onFeedState: (state) => {
        // A store's change feed failing is worth a line: refreshes fall back to value reads.
        if (state.failing) this.o.logger?.warn('store change feed failing; refreshes read values within the budget', { store: bound.store.label, mode: state.mode, error: state.failing.message });
        else this.o.logger?.info('store change feed working again', { store: bound.store.label, mode: state.mode });
        this.o.onFeedState?.(bound.store, state);
      },
      ...(this.o.now ? { now: this.o.now } : {}),
    });
    this.readers.set(bound.clientId, { reader, storeKey: bound.store.storeKey });
    return reader;
  }

  /**
   * The ExternalSecrets (queue keys) that read `remoteKey` from the store, through any of its
   * clients: what a refresh of "this store's key" must wake (the refresh API).
   */
  readersOf(storeKey: string, remoteKey: string): string[] {
    const out = new Set<string>();
    for (const r of this.readers.values()) {
      if (r.storeKey !== storeKey) continue;
      for (const k of r.reader.readersOfKey(remoteKey)) out.add(k);
    }
    return [...out];
  }

  /** Asks for ExternalSecrets to be synced from fresh reads (force-sync without the annotation). */
  requestRefresh(esKeys: readonly string[]): void {
    for (const l of this.refreshListeners) l(esKeys);
  }

  /** The ExternalSecret controller listens here for requestRefresh. */
  onRefreshRequest(fn: (esKeys: readonly string[]) => void): () => void {
    this.refreshListeners.add(fn);
    return () => this.refreshListeners.delete(fn);
  }

  /** A store's budget annotations changed: its governor (if any) takes the new budget at once. */
  updateBudget(storeKey: string, budget: Budget): void {
    const g = this.governors.get(storeKey);
    if (g && !sameBudget(g.currentBudget, budget)) g.setBudget(budget);
  }

  /** An ExternalSecret was deleted (or no longer reads a store): it leaves every reader. */
  forgetReader(esKey: string, exceptClientIds: ReadonlySet<string> = new Set()): void {
    for (const [id, r] of this.readers) if (!exceptClientIds.has(id)) r.reader.removeReader(esKey);
  }

  /** Marks a failed sync on every reader `esKey` uses: their next answer wakes it. */
  markFailed(esKey: string): void {
    for (const r of this.readers.values()) r.reader.markFailed(esKey);
  }

  /**
   * The resolver dropped a client (its store changed or went away): its reader stops, and
   * its readers are woken to register with whatever replaces it (or fail: store gone).
   */
  retire(clientId: string): void {
    const r = this.readers.get(clientId);
    if (!r) return;
    this.readers.delete(clientId);
    const keys = r.reader.readerKeys();
    r.reader.close();
    // The governor stays: the store's budget, pause and rate are the store's, not the client's,
    // and a client replaced after an AuthFailed must not reset them (or fail the calls other
    // clients of the store have queued). Governors of stores nobody reads are dropped in sweep().
    if (keys.length > 0) this.emit(keys);
  }

  /** Each store's budget, governor state and what its scheduled refreshes need (metrics, the budget report). */
  storeStats(only?: string): StoreStats[] {
    const demand = new Map<string, { callsPerSecond: number; shortestIntervalMs: number | undefined; feed: FeedState | undefined }>();
    for (const r of this.readers.values()) {
      if (only !== undefined && r.storeKey !== only) continue;
      const d = r.reader.demand();
      const sum = demand.get(r.storeKey) ?? { callsPerSecond: 0, shortestIntervalMs: undefined, feed: undefined };
      sum.callsPerSecond += d.callsPerSecond;
      if (d.shortestIntervalMs !== undefined) sum.shortestIntervalMs = Math.min(sum.shortestIntervalMs ?? Infinity, d.shortestIntervalMs);
      const f = r.reader.feed;
      if (!sum.feed || (f.failing && !sum.feed.failing)) sum.feed = f;
      demand.set(r.storeKey, sum);
    }
    return [...this.governors].filter(([key]) => only === undefined || key === only).map(([key, g]) => {
      const d = demand.get(key);
      return { store: this.identities.get(key)!, budget: g.currentBudget, state: g.state, neededCallsPerSecond: d?.callsPerSecond ?? 0, shortestIntervalMs: d?.shortestIntervalMs, feed: d?.feed };
    });
  }

  /** Drops the governors of stores no client reads any more (called with the stats, every few seconds). */
  sweep(): void {
    const used = new Set([...this.readers.values()].map((r) => r.storeKey));
    for (const [key, g] of this.governors) {
      if (used.has(key) || g.state.inFlight > 0 || g.state.queued > 0) continue;
      g.close();
      this.governors.delete(key);
      this.identities.delete(key);
    }
  }

  /** One store's stats, by `SecretStore/ns/name` key. */
  statsOf(storeKey: string): StoreStats | undefined {
    return this.storeStats(storeKey)[0];
  }

  close(): void {
    for (const id of [...this.readers.keys()]) {
      const r = this.readers.get(id)!;
      r.reader.close();
      this.readers.delete(id);
    }
    for (const g of this.governors.values()) g.close();
    this.governors.clear();
    this.identities.clear();
  }

  private emit(keys: string[]): void {
    for (const l of this.listeners) {
      try {
        l(keys);
      } catch (err) {
        this.o.logger?.warn('wake listener failed', { error: String(err) });
      }
    }
  }
}

function sameBudget(a: Budget, b: Budget): boolean {
  return a.callsPerSecond === b.callsPerSecond && a.burst === b.burst && a.concurrency === b.concurrency && a.callTimeoutMs === b.callTimeoutMs;
}
