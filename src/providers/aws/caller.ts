/**
 * Every AWS call of a store goes through here: one metric per attempt,
 * retries of transient failures (5xx, dropped connections), one fresh set of
 * credentials after an authentication failure, and the mapping to Hush errors.
 *
 * Throttling is not handled here: a ThrottlingException (or any other "slow
 * down" answer) fails the call at once as a ThrottledError carrying
 * retryAfterMs, and the controller's per-store call governor
 * (read/governor.ts) decides when this store is asked again. Waiting or
 * pacing here as well would stack a second backoff on top of the governor's.
 *
 * The SDK's own retries are off (maxAttempts 1) so that neither throttling nor
 * transient failures are retried behind the governor's back.
 */
import { AuthError } from '../../util/errors.ts';
import { abortableSleep } from '../../util/sleep.ts';
import { isThrottling, isTransient, toHushError, type MapOptions } from '../../cloud/aws/errors.ts';

/**
 * How long a throttled store should be left alone when AWS does not say (it
 * rarely sends Retry-After): about the time AWS's own token buckets take to
 * refill a second's worth of calls.
 */
export const DEFAULT_THROTTLE_RETRY_AFTER_MS = 1000;
/** A Retry-After longer than this is treated as this: a misbehaving proxy must not park a store for hours. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface CallerOptions {
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
    for (;;) {
      try {
        const out = await fn(signal);
        this.o.recordCall(call, 'success');
        return out;
      } catch (err) {
        this.o.recordCall(call, 'error');
        if (signal?.aborted) throw toHushError(err, action, { secrets: this.o.secrets(), kind: opts.kind });
        if (isThrottling(err)) throw toHushError(err, action, { secrets: this.o.secrets(), retryAfterMs: retryAfterMs(err) });
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

/** The answer's Retry-After (seconds or an HTTP date), else the default; at least 1 ms, at most five minutes. */
export function retryAfterMs(err: unknown, now: number = Date.now()): number {
  const headers = (err as { $response?: { headers?: Record<string, string | undefined> } } | null)?.$response?.headers ?? {};
  const name = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after');
  const raw = name === undefined ? undefined : headers[name]?.trim();
  let ms: number | undefined;
  if (raw !== undefined && raw !== '') {
    if (/^\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
    else {
      const at = Date.parse(raw);
      if (!Number.isNaN(at)) ms = at - now;
    }
  }
  if (ms === undefined || !Number.isFinite(ms)) return DEFAULT_THROTTLE_RETRY_AFTER_MS;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(1, Math.ceil(ms)));
}
