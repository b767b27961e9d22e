/**
 * A pool of worker threads that runs tenant code — templates, SOPS parsing
 * and decryption — off the controller's event loop.
 *
 * Why: template functions such as genPrivateKey or bcrypt cost tens to
 * hundreds of milliseconds each, and a tenant decides how many run. On the
 * event loop one such template would freeze every other ExternalSecret, the
 * watches and the health endpoint. In a worker it freezes only that worker,
 * and only until its wall-clock limit: then the worker is terminated (V8 can
 * stop a thread in the middle of a synchronous loop; nothing else can) and a
 * fresh one takes its place. The job fails with a TimeoutError that names the
 * limit; every other job keeps being served by the other workers, and the
 * queue keeps going once the replacement is up.
 *
 * Memory: each worker has its own V8 heap limits (resourceLimits). A job that
 * outgrows them kills only its worker; the job fails with a message that says
 * so, and the worker is replaced.
 *
 * Workers start on first use and stay up (starting one costs a module load);
 * an idle worker does not keep the process alive, a busy one does.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError, InvalidDataError, TimeoutError, UnavailableError, type HushError } from '../util/errors.ts';
import type { JobInput, JobKind, JobOutput, JobRunner } from './jobs.ts';
import type { JobMessage, ReplyMessage } from './serve.ts';
import { fromWire } from './wire.ts';

export const DEFAULT_TIMEOUT_MS = 2000;
/**
 * V8 heap limits per worker. Rendering a 1 MiB Secret takes a few MB; 64 leaves room and bounds
 * a hostile job. Every worker may be filled at once (one hostile ExternalSecret each), so
 * workers × (old + young) plus the main thread must fit the container's memory limit:
 * 4 × 80 MB beside the controller's own ~150 MB stays under deploy/'s 512 Mi.
 */
export const DEFAULT_MAX_OLD_GENERATION_MB = 64;
export const DEFAULT_MAX_YOUNG_GENERATION_MB = 16;
/** More workers than this buy nothing for one controller's templates and cost memory each. */
export const MAX_DEFAULT_WORKERS = 4;

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism()));
}

/** Settings a worker reads at start (worker_threads workerData). */
export interface SandboxWorkerData {
  templateMaxSteps?: number;
}

export interface PoolOptions {
  /** Worker threads (default: the CPUs available, at most 4, at least 1). */
  workers?: number;
  /** Wall-clock limit per job, in ms (default 2000). */
  timeoutMs?: number;
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  /** Evaluation steps one template may take (--template-max-steps); default the engine's 1,000,000. */
  templateMaxSteps?: number;
  /** The worker's entry module (tests add jobs of their own); default worker.ts/.js beside this module. */
  workerUrl?: URL;
}

/** A job stopped at the pool's wall-clock limit. Retried with backoff, like any timeout (load may have caused it). */
export class SandboxTimeoutError extends TimeoutError {}
/** A job whose worker ran out of heap. InvalidData, so retried: it depends on the data the job was given. */
export class SandboxMemoryError extends InvalidDataError {}

interface Pending {
  id: number;
  kind: string;
  input: unknown;
  resolve: (v: unknown) => void;
  reject: (e: HushError) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Pending;
  /** Set once the slot is given up (timed out, crashed, closed): its later events are ignored. */
  dead: boolean;
}

/** What each kind of job is, for messages ("rendering the templates took longer than ..."). */
const activity: Record<string, string> = {
  'template.render': 'rendering the templates',
  'template.parse': 'parsing the templates',
  'sops.parse': 'reading the SOPS file',
  'sops.open': 'decrypting the SOPS file',
};

export class WorkerPool implements JobRunner {
  readonly size: number;
  readonly timeoutMs: number;
  private readonly limits: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number };
  /** What every worker is started with (render.ts reads it). */
  private readonly workerData: SandboxWorkerData;
  private readonly url: URL;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers given up because a job ran over a limit or the thread died; for tests and metrics. */
  replaced = 0;

  constructor(opts: PoolOptions = {}) {
    this.size = opts.workers ?? defaultWorkerCount();
    if (!Number.isInteger(this.size) || this.size < 1) throw new InternalError(`sandbox pool: workers must be a positive integer, not ${this.size}`);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.workerData = opts.templateMaxSteps === undefined ? {} : { templateMaxSteps: opts.templateMaxSteps };
    this.limits = {
      maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb ?? DEFAULT_MAX_OLD_GENERATION_MB,
      maxYoungGenerationSizeMb: opts.maxYoungGenerationSizeMb ?? DEFAULT_MAX_YOUNG_GENERATION_MB,
    };
    // worker.ts beside pool.ts when running the sources, worker.js beside pool.js in dist/.
    this.url = opts.workerUrl ?? new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  }

  run<K extends JobKind>(kind: K, input: JobInput<K>): Promise<JobOutput<K>> {
    return this.runAny(kind, input) as Promise<JobOutput<K>>;
  }

  /** Any job the worker knows, by name (tests use jobs of their own worker). */
  runAny(kind: string, input: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new UnavailableError('the sandbox pool is shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, kind, input, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker. Queued and running jobs fail with Unavailable (retried by whoever comes next). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new UnavailableError('the sandbox pool is shutting down'));
    const stopping = this.slots.splice(0).map((s) => {
      s.dead = true;
      if (s.job) this.settle(s.job, new UnavailableError('the sandbox pool is shutting down'));
      return s.worker.terminate();
    });
    await Promise.all(stopping);
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.ready && s.job === undefined);
      if (slot === undefined) {
        // Start another worker only when none is starting that could take the job.
        const starting = this.slots.filter((s) => !s.ready).length;
        if (starting < this.queue.length && this.slots.length < this.size) this.start();
        return;
      }
      const job = this.queue.shift()!;
      this.assign(slot, job);
      slot = undefined;
    }
  }

  private start(): void {
    const worker = new Worker(this.url, { resourceLimits: this.limits, workerData: this.workerData });
    const slot: Slot = { worker, ready: false, dead: false };
    this.slots.push(slot);
    // Started because a job waits: it keeps the process alive until it is up and the job is in.
    worker.on('message', (msg: ReplyMessage | { ready: true }) => {
      if (slot.dead) return;
      if ('ready' in msg) {
        slot.ready = true;
        this.dispatch();
        if (slot.job === undefined) worker.unref();
        return;
      }
      const job = slot.job;
      if (job === undefined || job.id !== msg.id) return;
      slot.job = undefined;
      worker.unref();
      this.settle(job, msg.ok ? undefined : fromWire(msg.error), msg.ok ? msg.output : undefined);
      this.dispatch();
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (slot.dead) return;
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const what = activity[slot.job?.kind ?? ''] ?? 'the sandbox job';
      this.giveUp(
        slot,
        oom
          ? new SandboxMemoryError(`${what} ran out of memory (the limit is ${this.limits.maxOldGenerationSizeMb} MB per worker, --sandbox-max-heap-mb) and was stopped`)
          : new InternalError(`${what} failed: the sandbox worker crashed: ${err.message}`),
      );
    });
    worker.on('exit', (code) => {
      if (slot.dead) return;
      this.giveUp(slot, new InternalError(`${activity[slot.job?.kind ?? ''] ?? 'the sandbox job'} failed: the sandbox worker exited (code ${code})`));
    });
  }

  private assign(slot: Slot, job: Pending): void {
    slot.job = job;
    // A busy worker keeps the process alive until its answer is in; an idle one does not.
    slot.worker.ref();
    job.timer = setTimeout(() => {
      if (slot.job !== job) return;
      const what = activity[job.kind] ?? 'the sandbox job';
      this.giveUp(slot, new SandboxTimeoutError(`${what} took longer than ${this.timeoutMs} ms and was stopped (--sandbox-timeout); a template must not loop over expensive functions such as genPrivateKey or bcrypt`));
    }, this.timeoutMs);
    const msg: JobMessage = { id: job.id, kind: job.kind, input: job.input };
    slot.worker.postMessage(msg);
  }

  /** Fails the slot's job (if any), terminates the worker and lets the next dispatch start a fresh one. */
  private giveUp(slot: Slot, err: HushError): void {
    const neverReady = !slot.ready;
    slot.dead = true;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.job) this.settle(slot.job, err);
    slot.job = undefined;
    this.replaced++;
    void slot.worker.terminate();
    if (neverReady && this.slots.every((s) => !s.ready)) {
      // A worker that cannot even start (a broken install) would be restarted forever: fail what waits instead.
      for (const p of this.queue.splice(0)) p.reject(err);
      return;
    }
    if (!this.closed) this.dispatch();
  }

  private settle(job: Pending, err: HushError | undefined, output?: unknown): void {
    if (job.timer) clearTimeout(job.timer);
    if (err === undefined) job.resolve(output);
    else job.reject(err);
  }
}
