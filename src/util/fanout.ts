/**
 * Bounded fan-out: run one async call per item with at most `limit` in flight,
 * the way providers read the secrets a find listed without opening hundreds
 * of requests at once.
 *
 * After the first failure no new item is started, and the promise settles
 * only once the calls already running have finished: nothing keeps writing
 * into a caller's result after it has seen the error. The first error is
 * thrown as it is, so its class and code reach the caller.
 */
export interface FanOutOptions {
  /** Aborting stops new items from starting; the promise then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export async function forEachLimited<T>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<void>, options: FanOutOptions = {}): Promise<void> {
  const list = [...items];
  const { signal } = options;
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const fail = (err: unknown): void => {
    if (!failed) {
      failed = true;
      firstError = err;
    }
  };
  const lane = async (): Promise<void> => {
    while (!failed && next < list.length) {
      if (signal?.aborted) return fail(signal.reason);
      const index = next++;
      try {
        await fn(list[index] as T, index);
      } catch (err) {
        fail(err);
      }
    }
  };
  const lanes = Math.min(Math.max(1, Math.floor(limit) || 1), list.length);
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failed) throw firstError;
}
