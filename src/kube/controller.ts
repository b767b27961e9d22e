/**
 * Controllers declared, not wired by hand: each controller says what it
 * reconciles, what else it watches (and how a change there maps to its keys),
 * its queue options and its reconcile function. The ControllerManager shares
 * informers between controllers, starts every cache once, and runs the
 * controllers behind a gate (leadership today, shard ownership later).
 *
 * Why caches and controllers have separate lifetimes: a standby replica keeps
 * its caches synced while another replica leads, so when it wins the Lease it
 * starts reconciling at once instead of listing everything first. The gate can
 * open and close many times over one cache lifetime; each opening starts fresh
 * queues and enqueues every primary object (level-based: a controller never
 * depends on the events it missed while closed).
 *
 * Nothing in here knows about secrets.
 */
import { asHushError, describeError, type HushError } from '../util/errors.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { isConflict, isAlreadyExists } from './api-error.ts';
import { Informer, type InformerOptions } from './informer.ts';
import type { KubeClient } from './client.ts';
import { objectKey, type KubeObject, type ResourceType } from './resources.ts';
import { WorkQueue, runWorkers, type WorkQueueOptions } from './workqueue.ts';

/** What a reconcile may ask of the runtime. */
export interface ReconcileContext {
  signal: AbortSignal;
  /**
   * When this key will be tried again if the reconcile fails now with `err`: the
   * error's own retry hint, else the queue's per-key backoff. Asking commits to that
   * delay (the runtime uses the same one), so a status can truthfully say when the
   * next attempt is.
   */
  retryDelayMs: (err: HushError) => number;
}

export interface ReconcileResult {
  /** Come back after this long (periodic refresh). */
  requeueAfterMs?: number;
  /**
   * The reconcile handed its work on (it waits for something that will enqueue the key again)
   * and did not succeed: the key's failure backoff is kept, not reset as after a success.
   */
  keepBackoff?: boolean;
}

/** A secondary watch: changes to these objects wake the keys `map` returns. */
export interface Watch<T extends KubeObject = KubeObject> {
  informer: Informer<T>;
  onAdd?: (obj: T) => Iterable<string>;
  onUpdate?: (oldObj: T, newObj: T) => Iterable<string>;
  onDelete?: (obj: T) => Iterable<string>;
}

export interface ControllerDefinition<T extends KubeObject = KubeObject> {
  /** Names the queue, logs and metrics ("externalsecret"). */
  name: string;
  /** The primary objects. Every cached one is enqueued whenever the controller starts. */
  for: {
    informer: Informer<T>;
    /** The queue key of an object; default `namespace/name` (or `name`). */
    key?: (obj: T) => string;
    /** Whether an update needs a reconcile; default: every update. */
    updateNeedsReconcile?: (oldObj: T, newObj: T) => boolean;
  };
  watches?: Watch<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- each watch has its own object type
  queue?: Omit<WorkQueueOptions, 'name'>;
  concurrency: number;
  reconcile: (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;
}

/** One registered controller: its definition, and the queue of its current run (none while the gate is closed). */
class Controller {
  readonly def: ControllerDefinition;
  private queue: WorkQueue<string> | undefined;
  private readonly log: Logger;

  constructor(def: ControllerDefinition, log: Logger) {
    this.def = def;
    this.log = log;
    const keyOf = def.for.key ?? objectKey;
    const primary = def.for.informer;
    primary.onAdd((o) => this.enqueue(keyOf(o)));
    primary.onUpdate((a, b) => {
      if (!def.for.updateNeedsReconcile || def.for.updateNeedsReconcile(a, b)) this.enqueue(keyOf(b));
    });
    primary.onDelete((o) => this.enqueue(keyOf(o)));
    for (const w of def.watches ?? []) {
      if (w.onAdd) w.informer.onAdd((o) => this.enqueueAll(w.onAdd!(o)));
      if (w.onUpdate) w.informer.onUpdate((a, b) => this.enqueueAll(w.onUpdate!(a, b)));
      if (w.onDelete) w.informer.onDelete((o) => this.enqueueAll(w.onDelete!(o)));
    }
  }

  /** Queues a key; a no-op while the controller is not running (its next start enqueues everything). */
  enqueue(key: string): void {
    this.queue?.add(key);
  }

  private enqueueAll(keys: Iterable<string>): void {
    if (!this.queue) return;
    for (const k of keys) this.queue.add(k);
  }

  queueLength(): number {
    return this.queue?.len() ?? 0;
  }

  /** Keys ready, waiting for a delay (retries, refreshes), and being processed. */
  queueStats(): { ready: number; delayed: number } {
    return { ready: this.queue?.len() ?? 0, delayed: this.queue?.delayedLen() ?? 0 };
  }

  informers(): Informer<KubeObject>[] {
    return [this.def.for.informer, ...(this.def.watches ?? []).map((w) => w.informer as Informer<KubeObject>)];
  }

  /** Runs workers until `signal` aborts; resolves once they have finished their current keys. */
  async run(signal: AbortSignal): Promise<void> {
    // Two runs at once would reconcile one key twice concurrently: a gate must close before it opens again.
    if (this.queue) throw new Error(`controller ${this.def.name} is already running`);
    const queue = new WorkQueue<string>({ ...(this.def.queue ?? {}), name: this.def.name });
    this.queue = queue;
    const keyOf = this.def.for.key ?? objectKey;
    for (const o of this.def.for.informer.list()) queue.add(keyOf(o));
    try {
      await runWorkers(queue, this.def.concurrency, (key) => this.handle(queue, key, signal), signal);
    } finally {
      if (this.queue === queue) this.queue = undefined;
    }
  }

  /** One reconcile, and what its outcome means for the queue. */
  private async handle(queue: WorkQueue<string>, key: string, signal: AbortSignal): Promise<void> {
    let committedDelay: number | undefined;
    const ctx: ReconcileContext = {
      signal,
      retryDelayMs: (err) => {
        // The other side's hint is a floor, never a way around the backoff: a Retry-After of 0 (or 1 s,
        // forever) must not turn a failing object into a hot loop.
        if (committedDelay === undefined) {
          // Reserved once per reconcile: every reservation counts as a failure in the backoff.
          const backoff = queue.reserveBackoff(key);
          committedDelay = err.retryAfterMs !== undefined && err.retryAfterMs > 0 ? Math.max(err.retryAfterMs, backoff) : backoff;
        }
        return committedDelay;
      },
    };
    try {
      const result = await this.def.reconcile(key, ctx);
      if (!result.keepBackoff) queue.forget(key);
      if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (signal.aborted) return;
      // A lost optimistic-concurrency race is routine: retry on the normal backoff, say nothing.
      if (isConflict(err) || isAlreadyExists(err)) {
        queue.addAfter(key, committedDelay ?? queue.reserveBackoff(key));
        return;
      }
      const e = asHushError(err);
      if (!e.retryable) {
        // Terminal: wait for the object (or something it watches) to change.
        queue.forget(key);
        return;
      }
      queue.addAfter(key, ctx.retryDelayMs(e));
      // Reconcilers turn their failures into status; anything else that escapes is a bug worth a log line.
      if (e !== err) this.log.error('reconciler error', { controller: this.def.name, key, error: describeError(err) });
    }
  }
}

export interface SharedInformerOptions<T extends KubeObject> extends Omit<InformerOptions<T>, 'indexers' | 'logger'> {
  /** A name for the transform, part of the sharing key: two different transforms never share a cache. */
  transformName?: string;
}

export interface ControllerManagerOptions {
  kube: KubeClient;
  logger?: Logger;
}

export class ControllerManager {
  private readonly kube: KubeClient;
  private readonly log: Logger;
  private readonly shared = new Map<string, Informer<KubeObject>>();
  private readonly controllers = new Map<string, Controller>();
  private cachesSynced = false;
  private cachesRunning: Promise<void> | undefined;
  private markSynced: () => void = () => undefined;
  private readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));

  constructor(o: ControllerManagerOptions) {
    this.kube = o.kube;
    this.log = o.logger ?? silentLogger;
  }

  /**
   * The one informer for this resource and these options (namespace, selectors,
   * metadata-only, transform). Indexers are added to the shared instance; two
   * callers must not use the same index name for different functions.
   */
  informer<T extends KubeObject>(rt: ResourceType, opts: SharedInformerOptions<T> = {}, indexers: Record<string, (obj: T) => string[]> = {}): Informer<T> {
    const key = JSON.stringify([rt.group ?? '', rt.version, rt.plural, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? '', !!opts.metadataOnly, opts.transformName ?? (opts.transform ? '(anonymous)' : '')]);
    let inf = this.shared.get(key) as Informer<T> | undefined;
    if (!inf) {
      if (this.cachesRunning) throw new Error(`informer for ${rt.plural} requested after the caches started; declare it before start`);
      const { transformName: _ignored, ...informerOpts } = opts;
      inf = new Informer<T>(this.kube, rt, { ...informerOpts, logger: this.log });
      this.shared.set(key, inf as unknown as Informer<KubeObject>);
    }
    for (const [name, fn] of Object.entries(indexers)) inf.addIndexer(name, fn);
    return inf;
  }

  /** Registers a controller; its informers must come from informer() above. */
  register(def: ControllerDefinition<any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any -- definitions of any object type
    if (this.controllers.has(def.name)) throw new Error(`controller ${def.name} registered twice`);
    this.controllers.set(def.name, new Controller(def as ControllerDefinition, this.log.child({ controller: def.name })));
  }

  /** Queues `key` on the named controller, if it is registered and running. */
  enqueue(controller: string, key: string): void {
    this.controllers.get(controller)?.enqueue(key);
  }

  queueLengths(): Record<string, number> {
    return Object.fromEntries([...this.controllers].map(([name, c]) => [name, c.queueLength()]));
  }

  queueStats(controller: string): { ready: number; delayed: number } | undefined {
    return this.controllers.get(controller)?.queueStats();
  }

  controllerNames(): string[] {
    return [...this.controllers.keys()];
  }

  /** True once every cache has its initial list (and stays true across restarts of the caches). */
  hasSynced(): boolean {
    return this.cachesSynced;
  }

  /**
   * Starts every shared informer and resolves once all have synced. They keep running until
   * `signal` aborts; independent of any gate, so a standby's caches stay warm.
   */
  async startCaches(signal: AbortSignal): Promise<void> {
    if (this.cachesRunning) throw new Error('caches already started');
    const informers = [...this.shared.values()];
    const starts = informers.map((i) => i.start(signal));
    this.cachesRunning = Promise.allSettled(informers.map((i) => i.stopped())).then(() => {
      this.cachesRunning = undefined;
    });
    await Promise.all(starts);
    this.cachesSynced = true;
    this.markSynced();
    this.log.info('caches synced', { informers: informers.length });
  }

  /** Resolves once every informer's list/watch loop has ended after the caches' signal aborted. */
  async cachesStopped(): Promise<void> {
    await this.cachesRunning;
  }

  /**
   * Runs every registered controller until `signal` aborts (the gate closes), then waits
   * for their workers to finish the keys in hand. Waits for the caches first.
   */
  async runControllers(signal: AbortSignal): Promise<void> {
    if (!this.cachesSynced) {
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([this.synced, aborted]);
    }
    if (signal.aborted) return;
    this.log.info('starting controllers', { controllers: this.controllerNames() });
    await Promise.all([...this.controllers.values()].map((c) => c.run(signal)));
  }
}
