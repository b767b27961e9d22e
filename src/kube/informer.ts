/**
 * List+watch cache for one resource type, with secondary indexes.
 *
 * Lifecycle (the part client-go gets right and most JS clients do not):
 * 1. Paginated LIST (500 per page) fills the cache; start() resolves.
 * 2. WATCH from the list's resourceVersion, with bookmarks and a jittered
 *    timeoutSeconds so that watches of many replicas do not end together.
 * 3. When the server ends the watch, resume from the last resourceVersion
 *    seen (events and bookmarks advance it) — no relist.
 * 4. 410 Gone (HTTP 410, or an ERROR event with code 410): the history we
 *    need was compacted. Relist, and emit the differences as add/update/
 *    delete, including deletes for objects that vanished while we were away.
 * 5. Any other failure: back off with jitter (cap 30 s) and retry, forever.
 * 6. A watchdog restarts a watch that has delivered no bytes for
 *    stallTimeoutMs: idle load balancers and half-dead TCP peers can leave a
 *    watch open and silent for a long time. Bookmarks arrive about once a
 *    minute on a healthy watch, so silence well beyond that means trouble.
 *
 * 7. Restartable: after the start signal aborts and the loop has ended,
 *    start() may be called again. The cache is kept while stopped, so a
 *    restart resumes the watch from the last resourceVersion (no list unless
 *    that history is gone) and resolves at once: a standby or a shard that is
 *    handed back starts warm.
 *
 * Objects in the cache and those given to handlers are deep-frozen: share
 * them freely, structuredClone() before changing one. A `transform` runs on
 * every object before it is cached, to keep only what the controllers need
 * (managedFields are dropped by default: they are often the largest part of
 * an object and no cache reader uses them).
 */
import { silentLogger, type Logger } from '../util/log.ts';
import { describeError } from '../util/errors.ts';
import { isGone, KubeApiError, type KubeClient, type WatchEvent } from './client.ts';
import { errorFromStatus, type KubeStatus } from './api-error.ts';
import { Backoff, sleepUnlessAborted } from './backoff.ts';
import { objectKey, type KubeObject, type ResourceType } from './resources.ts';

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Cache PartialObjectMetadata only: for Secrets, no data ever reaches this process. */
  metadataOnly?: boolean;
  /** name → function returning the index values of an object. */
  indexers?: Record<string, (obj: T) => string[]>;
  /** Periodically call onUpdate(obj, obj) for every cached object; off by default. */
  resyncMs?: number;
  /** Watch timeoutSeconds is drawn uniformly from [min, max]; default [300, 600]. */
  watchTimeoutSeconds?: [number, number];
  /** Restart a watch silent for this long; default 150 s (2.5 missed bookmarks). */
  stallTimeoutMs?: number;
  /** Page size of the initial list; default 500. */
  pageSize?: number;
  /**
   * Rewrites each object before it is cached and handed to handlers (default: drop
   * metadata.managedFields). It gets a private copy and may change it in place.
   */
  transform?: (obj: T) => T;
  logger?: Logger;
}

export interface DeleteInfo {
  /**
   * True when the delete was inferred during a relist (we missed the watch
   * event); the object is then the last state we saw, not its final state.
   * This is client-go's DeletedFinalStateUnknown tombstone.
   */
  finalStateUnknown: boolean;
}

export interface InformerStats {
  /** Full lists made (the first one included). */
  lists: number;
  /** Relists caused by 410 Gone. */
  relistsAfterGone: number;
  /** Watches opened. */
  watches: number;
  /** Watches restarted by the stall watchdog. */
  stalls: number;
  /** Failed lists/watches (each followed by a backoff). */
  errors: number;
}

type AddHandler<T> = (obj: T) => void;
type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
type DeleteHandler<T> = (obj: T, info: DeleteInfo) => void;

const namespaceIndex = '\u0000namespace';

export class Informer<T extends KubeObject> {
  private readonly client: KubeClient;
  private readonly rt: ResourceType;
  private readonly opts: InformerOptions<T>;
  private readonly log: Logger;
  private readonly store = new Map<string, T>();
  private readonly indexers: Record<string, (obj: T) => string[]>;
  /** index name → value → keys */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly addHandlers: AddHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: DeleteHandler<T>[] = [];
  private synced = false;
  private started = false;
  private rv = '';
  private stoppedPromise: Promise<void> = Promise.resolve();
  readonly stats: InformerStats = { lists: 0, relistsAfterGone: 0, watches: 0, stalls: 0, errors: 0 };

  constructor(client: KubeClient, rt: ResourceType, opts: InformerOptions<T> = {}) {
    this.client = client;
    this.rt = rt;
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({ informer: rt.plural, ...(opts.namespace ? { namespace: opts.namespace } : {}) });
    this.indexers = { ...(opts.indexers ?? {}) };
    // Namespace lookups are common enough (list(namespace)) to always index.
    this.indexers[namespaceIndex] = (obj) => [obj.metadata.namespace ?? ''];
    for (const name of Object.keys(this.indexers)) this.indexes.set(name, new Map());
  }

  /** Adds a secondary index (objects already cached are indexed at once). A name can be added again only with the same function. */
  addIndexer(name: string, fn: (obj: T) => string[]): void {
    if (this.indexes.has(name)) {
      if (this.indexers[name] !== fn) throw new Error(`informer for ${this.rt.plural}: index "${name}" already exists with another function`);
      return;
    }
    this.indexers[name] = fn;
    const idx = new Map<string, Set<string>>();
    this.indexes.set(name, idx);
    for (const [key, obj] of this.store) {
      for (const value of this.indexValues(name, fn, obj)) {
        let keys = idx.get(value);
        if (!keys) idx.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  /** Handlers added after the cache has synced are first called for every cached object. */
  onAdd(fn: AddHandler<T>): void {
    this.addHandlers.push(fn);
    if (this.synced) for (const obj of this.store.values()) this.call(() => fn(obj));
  }
  onUpdate(fn: UpdateHandler<T>): void {
    this.updateHandlers.push(fn);
  }
  onDelete(fn: DeleteHandler<T>): void {
    this.deleteHandlers.push(fn);
  }

  /**
   * Starts list+watch. Resolves once the initial list is cached; keeps the
   * cache current until `signal` aborts. Rejects only when aborted before
   * the first sync (list failures are retried, not thrown).
   */
  start(signal: AbortSignal): Promise<void> {
    if (this.started) return Promise.reject(new Error(`informer for ${this.rt.plural} already started`));
    this.started = true;
    const warm = this.synced;
    const loop = new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.stoppedPromise = this.run(signal, warm, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }).finally(() => {
        this.started = false;
      });
      if (signal.aborted) onAbort();
    });
    return loop;
  }

  /** Whether list/watch is running (between start() and the end of its loop). */
  isRunning(): boolean {
    return this.started;
  }

  /** Resolves when the list/watch loop has ended after the start signal aborted. */
  stopped(): Promise<void> {
    return this.stoppedPromise;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is current to (last list, event or bookmark). */
  get lastSyncResourceVersion(): string {
    return this.rv;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.store.values()];
    return this.byIndex(namespaceIndex, namespace);
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new Error(`informer for ${this.rt.plural} has no index named ${index}`);
    const keys = idx.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.store.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Number of cached objects. */
  size(): number {
    return this.store.size;
  }

  // ------------------------------------------------------------------ loop

  private async run(signal: AbortSignal, warm: boolean, onSynced: () => void): Promise<void> {
    const backoff = new Backoff(800, 30_000);
    // A warm restart resumes the watch where the last run left off; a 410 turns it into a relist.
    let needList = !(warm && this.rv !== '');
    let resync: NodeJS.Timeout | undefined;
    let resolved = false;
    const synced = (): void => {
      if (resolved) return;
      resolved = true;
      this.synced = true;
      onSynced();
      if (this.opts.resyncMs && this.opts.resyncMs > 0) {
        resync = setInterval(() => this.resync(), this.opts.resyncMs);
        resync.unref();
      }
    };
    if (!needList) synced();
    try {
      while (!signal.aborted) {
        try {
          if (needList) {
            await this.relist(signal);
            needList = false;
            synced();
          }
          const outcome = await this.watchOnce(signal);
          if (outcome.gone) {
            this.stats.relistsAfterGone++;
            this.log.info('watch history expired (410); relisting', { resourceVersion: this.rv });
            needList = true;
            continue;
          }
          // A watch that ends at once without events is a misbehaving server
          // or proxy; back off instead of spinning.
          if (outcome.events === 0 && outcome.durationMs < 1000 && !outcome.stalled) {
            await sleepUnlessAborted(backoff.next(), signal);
          } else {
            backoff.reset();
          }
        } catch (err) {
          if (signal.aborted) break;
          if (isGone(err)) {
            this.stats.relistsAfterGone++;
            this.log.info('resourceVersion expired (410); relisting', { resourceVersion: this.rv });
            needList = true;
            continue;
          }
          this.stats.errors++;
          const wait = backoff.next();
          this.log.warn(needList ? 'list failed; retrying' : 'watch failed; retrying', {
            error: describeError(err),
            retryInMs: Math.round(wait),
          });
          await sleepUnlessAborted(wait, signal);
        }
      }
    } finally {
      if (resync) clearInterval(resync);
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    let limit = this.opts.pageSize ?? 500;
    for (;;) {
      let page;
      try {
        page = await this.client.list<T>(this.rt, {
          ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
          ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
          ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
          ...(this.opts.metadataOnly ? { metadataOnly: true } : {}),
          limit,
          ...(cont ? { continue: cont } : {}),
          signal,
        });
      } catch (err) {
        // A page over the client's response cap (objects near etcd's 1.5 MiB limit, which anyone
        // who may create them can make): the same page again, half as long, down to one object.
        // Without this, a tenant's large objects would stop every informer of the kind from syncing.
        if (err instanceof KubeApiError && err.reason === 'ResponseTooLarge' && limit > 1) {
          limit = Math.max(1, Math.floor(limit / 2));
          this.log.debug('list page over the response cap; asking for smaller pages', { limit });
          continue;
        }
        throw err;
      }
      for (const item of page.items) {
        const obj = this.prepare(item);
        fresh.set(objectKey(obj), obj);
      }
      cont = page.metadata.continue;
      rv = page.metadata.resourceVersion;
      if (!cont) break;
    }
    this.stats.lists++;
    this.replaceAll(fresh);
    this.rv = rv;
    this.log.debug('listed', { count: fresh.size, resourceVersion: rv });
  }

  /** Swaps the cache for a fresh list and emits what changed. */
  private replaceAll(fresh: Map<string, T>): void {
    const old = new Map(this.store);
    for (const [key, obj] of fresh) {
      const prev = old.get(key);
      if (prev && prev.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
      this.put(key, obj);
      if (prev) this.emitUpdate(prev, obj);
      else this.emitAdd(obj);
    }
    for (const [key, prev] of old) {
      if (fresh.has(key)) continue;
      this.remove(key);
      this.emitDelete(prev, { finalStateUnknown: true });
    }
  }

  private async watchOnce(
    signal: AbortSignal,
  ): Promise<{ gone: boolean; events: number; durationMs: number; stalled: boolean }> {
    const [min, max] = this.opts.watchTimeoutSeconds ?? [300, 600];
    const timeoutSeconds = Math.round(min + Math.random() * Math.max(0, max - min));
    const stallMs = this.opts.stallTimeoutMs ?? 150_000;
    const ctl = new AbortController();
    const forward = (): void => ctl.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    if (signal.aborted) forward();
    let stalled = false;
    const watchdog = setTimeout(() => {
      stalled = true;
      ctl.abort(new Error('watch stalled'));
    }, stallMs);
    watchdog.unref();
    const started = Date.now();
    let events = 0;
    this.stats.watches++;
    try {
      const stream = this.client.watch(this.rt, {
        ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
        ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
        ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
        ...(this.opts.metadataOnly ? { metadataOnly: true } : {}),
        resourceVersion: this.rv,
        timeoutSeconds,
        allowBookmarks: true,
        signal: ctl.signal,
        onActivity: () => watchdog.refresh(),
      });
      for await (const ev of stream) {
        events++;
        if (ev.type === 'ERROR') {
          const st = ev.object as KubeStatus;
          if (st.code === 410) return { gone: true, events, durationMs: Date.now() - started, stalled };
          throw errorFromStatus(`watch ${this.rt.plural}`, st);
        }
        this.apply(ev);
      }
      return { gone: false, events, durationMs: Date.now() - started, stalled };
    } catch (err) {
      if (stalled && !signal.aborted) {
        this.stats.stalls++;
        this.log.warn('watch delivered nothing for too long; restarting it', { stallTimeoutMs: stallMs });
        return { gone: false, events, durationMs: Date.now() - started, stalled };
      }
      if (err instanceof KubeApiError || signal.aborted) throw err;
      throw new KubeApiError(0, 'ConnectionLost', `watch ${this.rt.plural}: ${describeError(err)}`, { cause: err });
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', forward);
    }
  }

  private apply(ev: Exclude<WatchEvent, { type: 'ERROR' }>): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    const obj = this.prepare(ev.object as T);
    const key = objectKey(obj);
    const prev = this.store.get(key);
    if (ev.type === 'DELETED') {
      this.remove(key);
      this.emitDelete(obj, { finalStateUnknown: false });
    } else {
      this.put(key, obj);
      if (prev) this.emitUpdate(prev, obj);
      else this.emitAdd(obj);
    }
    if (rv) this.rv = rv;
  }

  /** The cached form of an object from the server: transformed, then frozen. */
  private prepare(obj: T): T {
    const transform = this.opts.transform ?? dropManagedFields;
    let out: T;
    try {
      out = transform(obj);
    } catch (err) {
      // A broken transform must not break the cache: keep the object as the server sent it.
      this.log.error('informer transform threw', { error: describeError(err) });
      out = obj;
    }
    return deepFreeze(out);
  }

  private resync(): void {
    for (const obj of this.store.values()) this.emitUpdate(obj, obj);
  }

  // ------------------------------------------------------------------ store

  private put(key: string, obj: T): void {
    if (this.store.has(key)) this.unindex(key, this.store.get(key)!);
    this.store.set(key, obj);
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indexes.get(name)!;
      for (const value of this.indexValues(name, fn, obj)) {
        let keys = idx.get(value);
        if (!keys) idx.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private remove(key: string): void {
    const prev = this.store.get(key);
    if (!prev) return;
    this.unindex(key, prev);
    this.store.delete(key);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indexes.get(name)!;
      for (const value of this.indexValues(name, fn, obj)) {
        const keys = idx.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) idx.delete(value);
      }
    }
  }

  private indexValues(name: string, fn: (obj: T) => string[], obj: T): string[] {
    try {
      return fn(obj);
    } catch (err) {
      // A broken indexer must not break the cache; the object is just not indexed.
      this.log.error('indexer threw', { index: name, error: describeError(err) });
      return [];
    }
  }

  // ------------------------------------------------------------------ handlers

  private emitAdd(obj: T): void {
    for (const fn of this.addHandlers) this.call(() => fn(obj));
  }
  private emitUpdate(prev: T, obj: T): void {
    for (const fn of this.updateHandlers) this.call(() => fn(prev, obj));
  }
  private emitDelete(obj: T, info: DeleteInfo): void {
    for (const fn of this.deleteHandlers) this.call(() => fn(obj, info));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('informer handler threw', { error: describeError(err) });
    }
  }
}

/** The default transform: managedFields are large and no cache reader uses them (writes read them with a GET). */
export function dropManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
