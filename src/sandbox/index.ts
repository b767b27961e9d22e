/**
 * Where tenant code runs. The controller installs its worker pool at start
 * (installSandbox); everything that renders a tenant's template or parses a
 * tenant's SOPS file asks `sandbox()` for the runner. Nothing installed (a
 * library user, a test that does not care) means a pool with the defaults,
 * started on first use: the safe choice is the default, running in-process is
 * the explicit one (`inProcess`, used by `hush render` on the user's own files).
 */
import { asHushError, type HushError } from '../util/errors.ts';
import { handlers, type JobInput, type JobKind, type JobOutput, type JobRunner } from './jobs.ts';
import { WorkerPool } from './pool.ts';
import type { ParseJob, RenderJob } from './render.ts';
import { fromWire } from './wire.ts';

export type { JobRunner } from './jobs.ts';
export type { ParseJob, RenderJob } from './render.ts';
export { WorkerPool, SandboxMemoryError, SandboxTimeoutError, type PoolOptions } from './pool.ts';

/** Runs jobs on this thread: no isolation, no limits beyond the template budgets. */
export const inProcess: JobRunner = {
  async run<K extends JobKind>(kind: K, input: JobInput<K>): Promise<JobOutput<K>> {
    try {
      return await (handlers[kind] as (i: JobInput<K>) => JobOutput<K> | Promise<JobOutput<K>>)(input);
    } catch (err) {
      throw asHushError(err);
    }
  },
};

let installed: JobRunner | undefined;
let lazy: WorkerPool | undefined;

/** Makes `runner` the process's sandbox (the controller's pool, built from its flags). */
export function installSandbox(runner: JobRunner | undefined): void {
  installed = runner;
}

export function sandbox(): JobRunner {
  return installed ?? (lazy ??= new WorkerPool());
}

export type RenderResult = { bytes: Uint8Array } | { error: HushError };

/**
 * Renders a batch of templates in one job: one result per template, in order,
 * each either the output bytes or the template's own error (a TemplateError,
 * with phase, line and code as in-process). A failure of the job itself (the
 * time or memory limit) rejects the whole batch.
 */
export async function renderTemplates(jobs: RenderJob[], runner: JobRunner = sandbox()): Promise<RenderResult[]> {
  if (jobs.length === 0) return [];
  const out = await runner.run('template.render', jobs);
  return out.map((r) => ('bytes' in r ? { bytes: r.bytes } : { error: fromWire(r.error) }));
}

/** Parses a batch of templates in one job: per template undefined, or its TemplateError (InvalidSpec). */
export async function parseTemplates(jobs: ParseJob[], runner: JobRunner = sandbox()): Promise<(HushError | undefined)[]> {
  if (jobs.length === 0) return [];
  const out = await runner.run('template.parse', jobs);
  return out.map((e) => (e === null ? undefined : fromWire(e)));
}
