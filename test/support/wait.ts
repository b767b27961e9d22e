/**
 * Polls until a condition holds. Controllers converge asynchronously, so e2e
 * tests wait for the state a user would eventually see instead of sleeping.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** What was awaited, for the timeout error ("ReplicaSet for deploy/web"). */
  message?: string;
}

/**
 * Calls `fn` until it returns a value other than undefined, null or false, and
 * returns that value. A throw counts as "not yet"; the last one is reported
 * if time runs out.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitOptions = {}): Promise<Exclude<T, undefined | null | false>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.message ?? 'condition';
      const why = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: lastError });
    }
    await sleep(options.intervalMs ?? 100);
  }
}
