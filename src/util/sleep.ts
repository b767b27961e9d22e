/**
 * A wait that ends early, without an error, when `signal` aborts: the caller
 * checks the signal afterwards and decides what an abort means for it (the
 * aws provider's pause between retries of a transient failure).
 */
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
