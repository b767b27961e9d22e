/**
 * The kinds of job the sandbox runs, by name. The worker looks the handler up
 * here, and the in-process runner calls the same function, so a job behaves
 * the same in both. The template engine is loaded before a worker says it is
 * ready (so a job's time limit does not pay for it); the SOPS modules on first
 * use, so a worker that only renders templates never loads the key services.
 */
import { parseBatch, renderBatch, type ParseJob, type RenderJob, type WireRenderResult } from './render.ts';
import type { WireError } from './wire.ts';
import type { SopsOpenJob, SopsOpenResult, SopsParseJob, SopsParseResult } from './sops.ts';

export const handlers = {
  'template.render': (jobs: RenderJob[]): WireRenderResult[] => renderBatch(jobs),
  'template.parse': (jobs: ParseJob[]): (WireError | null)[] => parseBatch(jobs),
  'sops.parse': async (job: SopsParseJob): Promise<SopsParseResult> => (await import('./sops.ts')).sopsParse(job),
  'sops.open': async (job: SopsOpenJob): Promise<SopsOpenResult> => (await import('./sops.ts')).sopsOpen(job),
};

export type Handlers = typeof handlers;
export type JobKind = keyof Handlers;
export type JobInput<K extends JobKind> = Parameters<Handlers[K]>[0];
export type JobOutput<K extends JobKind> = Awaited<ReturnType<Handlers[K]>>;

/** Who runs jobs: the worker pool, or (hush render, tests) this thread. */
export interface JobRunner {
  run<K extends JobKind>(kind: K, input: JobInput<K>): Promise<JobOutput<K>>;
}
