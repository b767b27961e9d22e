/**
 * A rate-limited work queue with controller-runtime's guarantees:
 *
 * - A key is queued at most once however often it is added (events for the
 *   same object collapse into one reconcile).
 * - A key is never handed to two workers at once: a key added while it is
 *   being processed is queued again when done() is called for it.
 * - addRateLimited() delays a key by the larger of a per-key exponential
 *   backoff (with jitter, capped) and a global token bucket, so one failing
 *   object backs off on its own and a burst of failures cannot hammer the
 *   apiserver or a store.
 *
 * Delayed keys sit in one min-heap served by one unref'd timer.
 */
import { clampDelay, DelayHeap } from './delay-heap.ts';

export interface WorkQueueOptions {
  /** First retry delay of addRateLimited, doubled per failure; default 1000 ms. */
  baseDelayMs?: number;
  /** Cap of the per-key backoff; default 300000 ms (5 min). */
  maxDelayMs?: number;
  /** Spread: the per-key delay is multiplied by a random factor in [1, 1 + jitter]; default 0.2. */
  jitter?: number;
  /** Global token bucket shared by every addRateLimited: sustained rate; default 10/s. */
  qps?: number;
  /** Global bucket size; default 100. */
  burst?: number;
  name?: string;
  /** Clock and randomness, replaceable for tests. */
  now?: () => number;
  random?: () => number;
}

export class WorkQueue<K extends string = string> {
  readonly name: string;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly random: () => number;

  // FIFO of ready keys: an array with a moving head, compacted now and then.
  private queue: K[] = [];
  private head = 0;
  /** Keys that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly delayed = new DelayHeap<K>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  // Global token bucket: tokens available at time `bucketAt`.
  private tokens: number;
  private bucketAt: number;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? 'queue';
    this.baseDelayMs = opts.baseDelayMs ?? 1000;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.2));
    this.qps = opts.qps ?? 10;
    this.burst = Math.max(1, opts.burst ?? 100);
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.tokens = this.burst;
    this.bucketAt = this.now();
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // Queued again by done() once the current run finishes.
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  /** Adds key after delayMs. If the key is already waiting, the earlier time wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const readyAt = this.now() + delayMs;
    if (this.delayed.scheduleEarliest(key, readyAt)) this.armTimer();
  }

  /**
   * Re-adds key after its backoff; each call counts as one more failure.
   * Returns the delay chosen (ms), for logs and status ("retrying in 8 s").
   */
  addRateLimited(key: K): number {
    const delay = this.nextDelay(key);
    this.addAfter(key, delay);
    return delay;
  }

  /**
   * The delay addRateLimited would use now, and counts the failure: for a caller that must
   * know the delay before it re-adds the key with addAfter (to write "next try at" in a status).
   */
  reserveBackoff(key: K): number {
    return this.nextDelay(key);
  }

  private nextDelay(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for big n; min() with the cap keeps it sane.
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
    const perItem = Math.min(this.maxDelayMs, exp * (1 + this.jitter * this.random()));
    return Math.max(perItem, this.reserveToken());
  }

  /** Takes one token from the global bucket; returns how long until it is ours. */
  private reserveToken(): number {
    if (!(this.qps > 0) || this.qps === Infinity) return 0;
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.bucketAt) / 1000) * this.qps);
    this.bucketAt = now;
    this.tokens -= 1;
    // A negative balance is a queue of reservations; the last one waits longest.
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Resets the failure count of key (call after a successful reconcile). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to process, waiting if none is ready. After shutDown() the
   * keys still queued are handed out, then undefined.
   */
  get(): Promise<K | undefined> {
    const key = this.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key finished; if it was added meanwhile it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.processing.size === 0) this.notifyDrained();
  }

  /** Stops accepting keys, drops delayed ones, and wakes idle get() calls. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.delayed.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.processing.size === 0) this.notifyDrained();
  }

  /** shutDown(), then waits until keys in progress are done (or timeoutMs passes). */
  async shutDownWithDrain(timeoutMs: number): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0 && this.len() === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, clampDelay(timeoutMs));
      t.unref();
      this.drainWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Keys ready to be handed out (not counting delayed or in-progress ones). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting for their delay (addAfter / addRateLimited). */
  delayedLen(): number {
    return this.delayed.size;
  }

  private notifyDrained(): void {
    if (!this.shuttingDown || this.len() > 0) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private shift(): K | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private armTimer(): void {
    const next = this.delayed.peekTime();
    if (next === undefined) return;
    if (this.timer && next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.onTimer(), clampDelay(next - this.now()));
    // A pending retry must not keep the process alive on its own.
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    // popDue works off our clock, so a clamped (early) wake-up re-arms for the rest.
    for (const key of this.delayed.popDue(this.now())) this.add(key);
    this.armTimer();
  }
}

export interface RunWorkersOptions<K extends string> {
  /** Called when handle() throws; the key has already been re-added with addRateLimited. */
  onError?: (key: K, err: unknown) => void;
}

/**
 * Runs `concurrency` workers until `signal` aborts, then shuts the queue down
 * and resolves once every worker has finished its current key.
 *
 * handle() owns its retries: call queue.forget(key) on success and
 * queue.addRateLimited(key) / addAfter() to retry. As a safety net, a handle()
 * that throws gets its key re-added with addRateLimited, so an unexpected
 * error never silently drops a key.
 */
export async function runWorkers<K extends string>(
  queue: WorkQueue<K>,
  concurrency: number,
  handle: (key: K) => Promise<void>,
  signal: AbortSignal,
  opts: RunWorkersOptions<K> = {},
): Promise<void> {
  const stop = (): void => queue.shutDown();
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  const worker = async (): Promise<void> => {
    while (!signal.aborted) {
      const key = await queue.get();
      if (key === undefined) return;
      if (signal.aborted) {
        queue.done(key);
        return;
      }
      try {
        await handle(key);
      } catch (err) {
        queue.addRateLimited(key);
        opts.onError?.(key, err);
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
