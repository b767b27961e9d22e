/**
 * Token buckets for the refresh API: one per authenticated user, one for all callers,
 * and one for the TokenReviews that a new (uncached) token costs the API server.
 *
 * A refresh never makes a store exceed its budget (reads go through the store
 * governors); these limits protect the controller's queue and the API server
 * from a caller who asks over and over.
 */

export interface BucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens held (the largest burst). */
  burst: number;
}

export class TokenBucket {
  private readonly o: BucketOptions;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(o: BucketOptions, now: () => number = Date.now) {
    this.o = o;
    this.now = now;
    this.tokens = o.burst;
    this.last = now();
  }

  /** Takes one token, or answers how many ms until one is there. */
  take(): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.o.ratePerSecond) * 1000) };
  }

  /** Gives back a token taken for a call that was then refused elsewhere (so a refusal costs nothing). */
  giveBack(): void {
    this.tokens = Math.min(this.o.burst, this.tokens + 1);
  }

  /** Whether the bucket is full (an idle user's bucket can be dropped: a new one is the same). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.o.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.o.burst, this.tokens + ((t - this.last) / 1000) * this.o.ratePerSecond);
    this.last = t;
  }
}

/**
 * One bucket per key (a user name). Full buckets are dropped when the map grows, so many
 * distinct users cost memory only while they are calling.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly o: BucketOptions;
  private readonly now: () => number;
  private readonly sweepAt: number;

  constructor(o: BucketOptions, now: () => number = Date.now, sweepAt = 1000) {
    this.o = o;
    this.now = now;
    this.sweepAt = sweepAt;
  }

  take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.sweepAt) this.sweep();
      b = new TokenBucket(this.o, this.now);
      this.buckets.set(key, b);
    }
    return b.take();
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(): void {
    for (const [k, b] of this.buckets) if (b.full()) this.buckets.delete(k);
  }
}
