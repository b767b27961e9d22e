/**
 * Undo steps for a benchmark run, run once in reverse order: at the end, on a
 * failure, or on Ctrl-C / SIGTERM. A benchmark starts detached servers (the dev
 * env) that would otherwise outlive it and keep ports and CPU busy.
 */
import { describeError } from '../../src/util/errors.ts';

type Step = () => void | Promise<void>;

const steps: { what: string; step: Step }[] = [];
let running: Promise<void> | undefined;
let caught: NodeJS.Signals | undefined;

/** The signal that interrupted the run, if one did (what failed after it is a consequence). */
export function interruptedBy(): NodeJS.Signals | undefined {
  return caught;
}

/** Registers an undo step; the returned function drops it (the thing was cleaned up already). */
export function onCleanup(what: string, step: Step): () => void {
  const entry = { what, step };
  steps.push(entry);
  return () => {
    const i = steps.indexOf(entry);
    if (i >= 0) steps.splice(i, 1);
  };
}

export function cleanUp(): Promise<void> {
  running ??= (async () => {
    while (steps.length > 0) {
      const { what, step } = steps.pop()!;
      try {
        await step();
      } catch (err) {
        process.stderr.write(`cleanup: ${what} failed: ${describeError(err)}\n`);
      }
    }
  })();
  return running;
}

/**
 * On SIGINT/SIGTERM: clean up, then exit with 128 + signal number. A second
 * signal while cleaning up exits at once (the state dir is printed at start for
 * `hush dev down --state-dir`).
 */
export function cleanUpOnSignals(): void {
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    process.once(signal, () => {
      caught = signal;
      process.stderr.write(`\n${signal}: stopping everything this run started...\n`);
      process.once(signal, () => process.exit(128 + number));
      void cleanUp().finally(() => process.exit(128 + number));
    });
  }
}
