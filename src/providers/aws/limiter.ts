/**
 * One rate limiter per store client, shared by every call the store makes.
 *
 * Why per store and not per call: AWS throttles an account's calls as a whole
 * (Parameter Store allows about 40 GetParameter calls a second). When one
 * ExternalSecret gets ThrottlingException, the next hundred would too; so a
 * throttling answer pauses the whole store and halves its rate, instead of
 * each ExternalSecret backing off on its own and the store being hammered by
 * the rest.
 *
 * - A token bucket caps the steady rate (and the burst).
 * - A throttling answer starts a pause (1 s, doubling on consecutive
 *   throttles up to 30 s) and halves the rate; successes raise it again a
 *   little at a time (additive increase, multiplicative decrease).
 * - A call that would wait longer than `maxWaitMs` is not queued: it fails
 *   at once with a ThrottledError whose retryAfterMs says when to come back,
 *   so the controller requeues the ExternalSecret instead of holding a worker.
 */
import { ThrottledError } from '../../util/errors.ts';

export interface LimiterOptions {
  /** Steady calls per second. */
  ratePerSecond: number;
  /** Calls allowed at once after an idle period. */
  burst: number;
  /** The rate never drops below this after throttling. Default 1/s. */
  minRatePerSecond?: number;
  /** Pause after the first throttling answer; doubles for each consecutive one. Default 1 s. */
  basePauseMs?: number;
  maxPauseMs?: number;
  /** Longest a call waits in line before failing with ThrottledError. Default 5 s. */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export class StoreLimiter {
  private readonly maxRate: number;
  private readonly minRate: number;
  private readonly burst: number;
  private readonly basePauseMs: number;
  private readonly maxPauseMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  private rate: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private consecutiveThrottles = 0;

  constructor(opts: LimiterOptions) {
    this.maxRate = opts.ratePerSecond;
    this.minRate = Math.min(opts.minRatePerSecond ?? 1, opts.ratePerSecond);
    this.burst = Math.max(1, opts.burst);
    this.basePauseMs = opts.basePauseMs ?? 1000;
    this.maxPauseMs = opts.maxPauseMs ?? 30_000;
    this.maxWaitMs = opts.maxWaitMs ?? 5000;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? abortableSleep;
    this.rate = opts.ratePerSecond;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Current steady rate (calls per second) and how long calls stay paused, for tests and messages. */
  get state(): { ratePerSecond: number; pausedForMs: number } {
    return { ratePerSecond: this.rate, pausedForMs: Math.max(0, this.pausedUntil - this.now()) };
  }

  /** Waits for this call's turn, or throws ThrottledError if that would take longer than maxWaitMs. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      if (this.pausedUntil > now) {
        const remaining = this.pausedUntil - now;
        if (remaining > this.maxWaitMs) throw this.busy(remaining);
        await this.sleep(remaining, signal);
        if (signal?.aborted) throw this.busy(this.pausedUntil - this.now());
        continue;
      }
      this.refill(now);
      this.tokens -= 1; // reserve a token; a negative balance is the queue ahead of us
      if (this.tokens >= 0) return;
      const wait = Math.ceil((-this.tokens * 1000) / this.rate);
      if (wait > this.maxWaitMs) {
        this.tokens += 1;
        throw this.busy(wait);
      }
      await this.sleep(wait, signal);
      return;
    }
  }

  /** Records a throttling answer; returns how long the store's calls now pause, in ms. */
  throttled(): number {
    this.consecutiveThrottles++;
    const pause = Math.min(this.maxPauseMs, this.basePauseMs * 2 ** (this.consecutiveThrottles - 1));
    const now = this.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    this.rate = Math.max(this.minRate, this.rate / 2);
    // Start again from an empty bucket so the end of the pause is not a burst.
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
    return this.pausedUntil - now;
  }

  /** Records a call that went through: the throttle streak ends and the rate creeps back up. */
  succeeded(): void {
    this.consecutiveThrottles = 0;
    if (this.rate < this.maxRate) this.rate = Math.min(this.maxRate, this.rate + Math.max(0.1, this.maxRate / 50));
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
  }

  private busy(retryAfterMs: number): ThrottledError {
    const ms = Math.max(1, Math.ceil(retryAfterMs));
    const why = this.consecutiveThrottles > 0 || this.pausedUntil > this.now() ? 'AWS throttled this store' : 'this store is at its call rate limit';
    return new ThrottledError(`${why}; its calls are held back for ${(ms / 1000).toFixed(1)}s`, { retryAfterMs: ms });
  }
}

export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
