/**
 * Records how to undo what a test file created (namespaces, cluster-scoped
 * objects, Vault paths and mounts) and undoes it in an `after` hook, so a
 * file leaves the shared control plane as it found it even when a test
 * failed half-way. Undo steps run newest first, each one even if an earlier
 * one failed; the failures are reported together at the end.
 */
export class CleanupError extends Error {
  readonly code = 'HUSH_TEST_CLEANUP';
  readonly failures: { what: string; error: unknown }[];
  constructor(failures: { what: string; error: unknown }[]) {
    super(`cleanup failed for ${failures.map((f) => `${f.what} (${f.error instanceof Error ? f.error.message : String(f.error)})`).join('; ')}`, { cause: failures[0]?.error });
    this.name = 'CleanupError';
    this.failures = failures;
  }
}

export class Cleanup {
  private steps: { what: string; undo: () => Promise<unknown> }[] = [];
  private readonly keys = new Set<string>();

  /** Registers an undo step; a second step with the same `what` is ignored (a path written twice). */
  add(what: string, undo: () => Promise<unknown>): void {
    if (this.keys.has(what)) return;
    this.keys.add(what);
    this.steps.push({ what, undo });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs every step, newest first; throws CleanupError listing the ones that failed. */
  async run(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    this.keys.clear();
    const failures: { what: string; error: unknown }[] = [];
    for (const s of steps) {
      try {
        await s.undo();
      } catch (error) {
        failures.push({ what: s.what, error });
      }
    }
    if (failures.length > 0) throw new CleanupError(failures);
  }
}
