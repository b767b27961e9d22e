/**
 * The template job: renders a batch of templates — all of one ExternalSecret,
 * or all of one webhook request — in one go, so that the cost of a trip to a
 * worker (copying the data, waking the thread) is paid once per object, not
 * once per key. Each template keeps its own step and output budget and its own
 * result: one failing template does not hide the others' outcome, and the
 * caller reports the first failure in the order it would have rendered them.
 *
 * Runs in a worker (sandbox/worker.ts) or, for `hush render` and tests,
 * in-process: the same code either way.
 */
import { workerData } from 'node:worker_threads';
import { parseTemplate, renderTemplateBytes } from '../template/index.ts';
import type { SandboxWorkerData } from './pool.ts';

/** The operator's step budget (--template-max-steps), as the pool started this worker; in-process: the engine's default. */
const maxSteps = (workerData as SandboxWorkerData | null)?.templateMaxSteps;
import type { MissingKey } from '../template/exec.ts';
import { toWire, type WireError } from './wire.ts';

export interface RenderJob {
  text: string;
  /** The data the template sees (ESO: the secret's keys and bytes). */
  data: unknown;
  /** Template name for Go's messages (ESO uses the data key). */
  name: string;
  /** Go's missingkey option (default "error", ESO's for target templates). */
  missingKey?: MissingKey;
}

export type WireRenderResult = { bytes: Uint8Array } | { error: WireError };

export function renderBatch(jobs: readonly RenderJob[]): WireRenderResult[] {
  return jobs.map((j) => {
    try {
      const out = renderTemplateBytes(j.text, j.data, { name: j.name, ...(j.missingKey === undefined ? {} : { missingKey: j.missingKey }), ...(maxSteps === undefined ? {} : { maxSteps }) });
      // A plain Uint8Array view of the Buffer's own bytes: a pooled Buffer's backing store is shared.
      return { bytes: new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength)) };
    } catch (err) {
      return { error: toWire(err) };
    }
  });
}

export interface ParseJob {
  text: string;
  name: string;
}

/** Parses each template (the up-front syntax check of a manifest's templates): null, or why it does not parse. */
export function parseBatch(jobs: readonly ParseJob[]): (WireError | null)[] {
  return jobs.map((j) => {
    try {
      parseTemplate(j.text, { name: j.name });
      return null;
    } catch (err) {
      return toWire(err);
    }
  });
}
