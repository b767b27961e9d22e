/**
 * Every AWS call of a store goes through here: the store's rate limiter, one
 * metric per attempt, retries of transient failures (5xx, dropped
 * connections), a pause of the whole store on throttling, one fresh set of
 * credentials after an authentication failure, and the mapping to Hush errors.
 *
 * The SDK's own retries are off (maxAttempts 1) so that throttling is decided
 * here, once per store, rather than inside every call.
 */
import { AuthError, HushError, ThrottledError } from '../../util/errors.ts';
import { isThrottling, isTransient, toHushError, type MapOptions } from '../../cloud/aws/errors.ts';
import { abortableSleep, type StoreLimiter } from './limiter.ts';

/** A throttled call waits out a pause this short itself instead of failing the reconcile. */
const WAIT_OUT_PAUSE_MS = 1000;

export interface CallerOptions {
  limiter: StoreLimiter;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Retries after a transient failure (ESO's retrySettings.maxRetries). */
  maxRetries: number;
  retryWaitMs: number;
  /** Credentials sent or received so far, cut out of any error text. */
  secrets: () => Iterable<string>;
}

export interface SendOptions extends Partial<Pick<MapOptions, 'kind' | 'notFoundIsMissing'>> {
  /** Called after an authentication failure; returns true when fresh credentials are worth one more try. */
  onAuthError?: (() => boolean) | undefined;
}

export class AwsCaller {
  private readonly o: CallerOptions;

  constructor(opts: CallerOptions) {
    this.o = opts;
  }

  /**
   * Runs `fn` (one SDK send) as the call `call` (the metric name, e.g.
   * "GetSecretValue"). `action` names it in errors: `GetSecretValue "db/creds"`.
   */
  async send<T>(call: string, action: string, fn: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined, opts: SendOptions = {}): Promise<T> {
    let transientRetries = 0;
    let authRetried = false;
    let throttleRetried = false;
    for (;;) {
      try {
        await this.o.limiter.acquire(signal);
      } catch (err) {
        throw err instanceof HushError ? new ThrottledError(`aws: ${action}: ${err.message}`, { retryAfterMs: err.retryAfterMs ?? 1000 }) : err;
      }
      try {
        const out = await fn(signal);
        this.o.limiter.succeeded();
        this.o.recordCall(call, 'success');
        return out;
      } catch (err) {
        this.o.recordCall(call, 'error');
        if (signal?.aborted) throw toHushError(err, action, { secrets: this.o.secrets(), kind: opts.kind });
        if (isThrottling(err)) {
          const pauseMs = this.o.limiter.throttled();
          if (!throttleRetried && pauseMs <= WAIT_OUT_PAUSE_MS) {
            throttleRetried = true;
            await abortableSleep(pauseMs, signal);
            continue;
          }
          throw toHushError(err, `${action} (calls of this store are paused for ${(pauseMs / 1000).toFixed(1)}s)`, { secrets: this.o.secrets(), retryAfterMs: pauseMs });
        }
        const mapped = toHushError(err, action, { secrets: this.o.secrets(), kind: opts.kind, notFoundIsMissing: opts.notFoundIsMissing });
        if (mapped instanceof AuthError && !authRetried && opts.onAuthError?.()) {
          authRetried = true;
          continue;
        }
        if (isTransient(err) && transientRetries < this.o.maxRetries) {
          transientRetries++;
          await abortableSleep(this.o.retryWaitMs * transientRetries, signal);
          continue;
        }
        throw mapped;
      }
    }
  }
}
