/**
 * Exponential backoff with "full jitter" for reconnect loops (informer
 * watches, leader election): many replicas that lost the apiserver at the
 * same moment must not all come back at the same moment.
 */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(initialMs = 800, maxMs = 30_000, random: () => number = Math.random) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.random = random;
  }

  /** Next wait: uniformly random in [ceiling/2, ceiling], ceiling doubling up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 60);
    return ceiling / 2 + (ceiling / 2) * this.random();
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Sleeps ms, or until signal aborts (then resolves early; callers check signal.aborted). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    signal.addEventListener('abort', done, { once: true });
  });
}
