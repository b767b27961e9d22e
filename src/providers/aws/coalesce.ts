/**
 * Fewer calls for the same answers.
 *
 * ReadCache: reads of one remote key that are in flight together share one
 * call (several ExternalSecrets of the store, or properties of one secret read
 * concurrently). Finished reads can be kept for a window (ttlMs); the
 * provider keeps none by default, because a kept value could hide a change
 * from the reconcile right after it.
 *
 * BatchCoalescer: single-key reads that arrive together (the same tick) are
 * sent as one batch call (Parameter Store's GetParameters takes 10 names).
 */

export class ReadCache<V> {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly done = new Map<string, { value: V; at: number }>();
  private readonly inFlight = new Map<string, Promise<V>>();

  constructor(opts: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.done.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return Promise.resolve(hit.value);
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = load().then(
      (value) => {
        this.inFlight.delete(key);
        if (this.ttlMs > 0) this.remember(key, value);
        return value;
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, p);
    return p;
  }

  clear(): void {
    this.done.clear();
  }

  private remember(key: string, value: V): void {
    if (this.done.size >= this.maxEntries) {
      const now = this.now();
      for (const [k, e] of this.done) if (now - e.at >= this.ttlMs) this.done.delete(k);
      // Still full of fresh entries: drop the oldest (Map keeps insertion order).
      while (this.done.size >= this.maxEntries) this.done.delete(this.done.keys().next().value as string);
    }
    this.done.set(key, { value, at: this.now() });
  }
}

/** The outcome for one key of a batch call: its value, or the error for that key alone. */
export type BatchOutcome<V> = { value: V } | { error: unknown };

export class BatchCoalescer<V> {
  private readonly maxBatch: number;
  private readonly fetchBatch: (keys: string[]) => Promise<Map<string, BatchOutcome<V>>>;
  private pending = new Map<string, { resolve: (v: V) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  /** `fetchBatch` gets 1..maxBatch distinct keys and answers for each (a missing key is an internal error). */
  constructor(maxBatch: number, fetchBatch: (keys: string[]) => Promise<Map<string, BatchOutcome<V>>>) {
    this.maxBatch = maxBatch;
    this.fetchBatch = fetchBatch;
  }

  get(key: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the promise jobs of this turn, so reads started together land in one batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch) {
      const chunk = keys.slice(i, i + this.maxBatch);
      this.fetchBatch(chunk).then(
        (results) => {
          for (const k of chunk) {
            const r = results.get(k);
            for (const w of batch.get(k) ?? []) {
              if (r === undefined) w.reject(new Error(`batch answer lacks ${k}`));
              else if ('value' in r) w.resolve(r.value);
              else w.reject(r.error);
            }
          }
        },
        (err: unknown) => {
          for (const k of chunk) for (const w of batch.get(k) ?? []) w.reject(err);
        },
      );
    }
  }
}
