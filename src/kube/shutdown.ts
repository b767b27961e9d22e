/**
 * Graceful shutdown on SIGTERM/SIGINT. Kubernetes sends SIGTERM, waits
 * terminationGracePeriodSeconds (30 s by default), then SIGKILLs; in that
 * window the controller should stop taking work, finish what is in flight
 * and release its Lease so the next replica leads at once.
 *
 * Hooks run once, in reverse registration order (what started last stops
 * first, like defers), one after the other; each gets its own timeout so one
 * stuck hook cannot eat the whole grace period. A second signal exits at once.
 * As PID 1 in a container, Node ignores SIGTERM unless a handler exists —
 * which is one more reason every entry point must call onShutdown().
 */
import { describeError } from '../util/errors.ts';
import { silentLogger, type Logger } from '../util/log.ts';

interface Hook {
  fn: () => Promise<void>;
  timeoutMs: number;
}

const hooks: Hook[] = [];
let installed = false;
let running: Promise<void> | undefined;
let log: Logger = silentLogger;

/** Where shutdown progress is logged; default nowhere. */
export function setShutdownLogger(logger: Logger): void {
  log = logger;
}

export function onShutdown(fn: () => Promise<void>, opts: { timeoutMs?: number } = {}): void {
  hooks.push({ fn, timeoutMs: opts.timeoutMs ?? 10_000 });
  if (installed) return;
  installed = true;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (running) {
        log.warn('second signal; exiting now', { signal: sig });
        process.exit(1);
      }
      log.info('shutting down', { signal: sig });
      running = runShutdownHooks().then((ok) => process.exit(ok ? 0 : 1));
    });
  }
}

/**
 * Runs the registered hooks (reverse order, each bounded) without exiting.
 * Resolves true if every hook finished in time without throwing. Exposed for
 * entry points that shut down for reasons other than a signal.
 */
export async function runShutdownHooks(): Promise<boolean> {
  let ok = true;
  for (const hook of hooks.splice(0).reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), hook.timeoutMs);
    });
    try {
      const result = await Promise.race([hook.fn().then(() => 'done' as const), timedOut]);
      if (result === 'timeout') {
        ok = false;
        log.warn('shutdown hook timed out; going on', { timeoutMs: hook.timeoutMs });
      }
    } catch (err) {
      ok = false;
      log.error('shutdown hook failed', { error: describeError(err) });
    } finally {
      clearTimeout(timer);
    }
  }
  return ok;
}
