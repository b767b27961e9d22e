/**
 * The call governor: the one owner of a store's calls.
 *
 * Every read a store serves — for every ExternalSecret, every referent namespace,
 * every key — goes through its governor, which holds the store's budget:
 *
 *  - a token bucket for calls per second (steady rate and burst);
 *  - a number of concurrent calls (slots). A hung store holds only its own slots;
 *    the reconcile workers never wait on them (read/engine.ts detaches);
 *  - a timeout per call, after which the slot is freed and the call aborted;
 *  - throttling answers (ThrottledError, with the store's Retry-After) pause the
 *    whole store and halve its rate; successes raise the rate again a little at
 *    a time (additive increase, multiplicative decrease);
 *  - a call that times out marks the store not answering: every call queued
 *    behind it fails at once with UnavailableError instead of waiting out its own
 *    timeout, and one probe at a time is let through until one answers;
 *  - reads that arrive together for a client with a batch read go out as batches.
 *
 * Why one place: today's throttling lived in four (the AWS limiter, the GCP and
 * webhook pauses, the resolver's pause). Each saw only its own calls, so none
 * could keep a store's total within its quota or say what the total was.
 */
import type { RawOutcome, RawRef, RawSecret, StoreClient } from '../providers/types.ts';
import { HushError, ThrottledError, TimeoutError, UnavailableError, asHushError, hasCode } from '../util/errors.ts';

/** A store's budget. Defaults per provider in budget.ts; per store through hush.dev/ annotations. */
export interface Budget {
  /** Steady calls per second. */
  callsPerSecond: number;
  /** Calls that may start at once after an idle period. */
  burst: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** The longest one call may take. */
  callTimeoutMs: number;
}

export interface GovernorOptions {
  /**
   * `SecretStore "ns/name"`, for logs. Error messages leave it out: every read's error is
   * prefixed with the field, the store and the key where it is reported (read/apply.ts).
   */
  label: string;
  budget: Budget;
  /** The rate never drops below this after throttling. Default: a tenth of the budget, at most 1/s. */
  minCallsPerSecond?: number;
  /** Pause after the first throttling answer that named no Retry-After; doubles per consecutive one. Default 1 s. */
  basePauseMs?: number;
  /** Longest pause. Default 60 s. */
  maxPauseMs?: number;
  /** Longest a call waits in the queue before it fails with ThrottledError. Default: the call timeout. */
  maxQueueWaitMs?: number;
  metrics?: GovernorMetrics | undefined;
  now?: () => number;
}

/** What the governor counts; the controller exports these per store (metrics/hush.ts). */
export interface GovernorMetrics {
  call(name: string, outcome: 'success' | 'error' | 'throttled' | 'timeout'): void;
  /** A batch call carried `size` reads. */
  batched(size: number): void;
  /** Time a call waited for its turn. */
  queueWait(ms: number): void;
  /** A call refused without being sent (queue too long, store not answering). */
  refused(reason: 'throttled' | 'not-answering' | 'closed'): void;
  /** A read answered without a call (kept answer, or joined a read in flight). */
  shared(): void;
}

export interface GovernorState {
  callsPerSecond: number;
  pausedForMs: number;
  inFlight: number;
  queued: number;
  notAnswering: boolean;
}

interface Task {
  name: string;
  /** The scheduler's own refreshes: behind every read an ExternalSecret or a store's change notice waits for. */
  background: boolean;
  run: (signal: AbortSignal, charge: () => Promise<void>) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  enqueuedAt: number;
}

interface PendingRead {
  ref: RawRef;
  background: boolean;
  resolve: (r: RawSecret) => void;
  reject: (e: unknown) => void;
}

export class StoreGovernor {
  readonly label: string;
  private budget: Budget;
  private readonly minRate: number;
  private readonly basePauseMs: number;
  private readonly maxPauseMs: number;
  private readonly maxQueueWaitMs: number;
  private readonly metrics: GovernorMetrics | undefined;
  private readonly now: () => number;
  private rate: number;
  private tokens: number;
  private lastRefill: number;
  private pausedUntil = 0;
  private consecutiveThrottles = 0;
  /** When the last throttling answer that counted came (see throttled()). */
  private lastThrottleAt = -Infinity;
  private inFlight = 0;
  private readonly queue: Task[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** Set when a call timed out and no call has answered since. */
  private notAnsweringSince: number | undefined;
  private probing = false;
  private closed = false;
  /** Reads per batching client waiting for the end of this tick. */
  private readonly batches = new Map<StoreClient, PendingRead[]>();

  constructor(opts: GovernorOptions) {
    this.label = opts.label;
    this.budget = opts.budget;
    this.minRate = opts.minCallsPerSecond ?? Math.min(1, opts.budget.callsPerSecond / 10);
    this.basePauseMs = opts.basePauseMs ?? 1000;
    this.maxPauseMs = opts.maxPauseMs ?? 60_000;
    this.maxQueueWaitMs = opts.maxQueueWaitMs ?? opts.budget.callTimeoutMs;
    this.metrics = opts.metrics;
    this.now = opts.now ?? Date.now;
    this.rate = opts.budget.callsPerSecond;
    this.tokens = Math.max(1, opts.budget.burst);
    this.lastRefill = this.now();
  }

  get state(): GovernorState {
    return {
      callsPerSecond: this.rate,
      pausedForMs: Math.max(0, this.pausedUntil - this.now()),
      inFlight: this.inFlight,
      queued: this.queue.length,
      notAnswering: this.notAnsweringSince !== undefined,
    };
  }

  get currentBudget(): Budget {
    return this.budget;
  }

  /** Counts a read that needed no call of its own (read/reader.ts). */
  countShared(): void {
    this.metrics?.shared();
  }

  /** A store's annotations changed: the new budget applies from the next call. */
  setBudget(budget: Budget): void {
    if (budget.callsPerSecond !== this.budget.callsPerSecond) this.rate = budget.callsPerSecond;
    this.budget = budget;
    this.pump();
  }

  /**
   * Runs one store call within the budget. `name` labels it in metrics. A task that must make
   * more calls than one (the pages of a listing) calls `charge()` before each further call: it
   * waits for a token of the budget (and out any pause) and gives that call its own timeout.
   */
  call<T>(name: string, run: (signal: AbortSignal, charge: () => Promise<void>) => Promise<T>, opts: { background?: boolean } = {}): Promise<T> {
    if (this.closed) {
      this.metrics?.refused('closed');
      return Promise.reject(new UnavailableError('the store was changed or removed while this call waited'));
    }
    const refusal = this.refuseWhileNotAnswering();
    if (refusal) return Promise.reject(refusal);
    return new Promise<T>((resolve, reject) => {
      const task: Task = { name, background: opts.background === true, run, resolve: resolve as (v: unknown) => void, reject, enqueuedAt: this.now() };
      if (task.background) {
        this.queue.push(task);
      } else {
        // Ahead of the scheduler's refreshes: a change the store told of, or a sync someone waits
        // for, must not queue behind a round of polls that uses the whole budget.
        const at = this.queue.findIndex((t) => t.background);
        if (at < 0) this.queue.push(task);
        else this.queue.splice(at, 0, task);
      }
      this.pump();
    });
  }

  /**
   * One raw read through `client`. Reads that arrive in the same tick for a client with a
   * batch read are sent together, up to the client's batch size, as one call each.
   */
  read(client: StoreClient, ref: RawRef, opts: { background?: boolean } = {}): Promise<RawSecret> {
    if (!client.batch || client.batch.maxSize < 2 || client.batch.accepts?.(ref) === false) return this.call('read', (signal) => client.read(ref, signal), opts);
    return new Promise<RawSecret>((resolve, reject) => {
      let pending = this.batches.get(client);
      if (!pending) {
        pending = [];
        this.batches.set(client, pending);
        // After this tick's promise jobs: every read started by the same reconciles lands in one batch.
        setImmediate(() => this.flushBatch(client));
      }
      pending.push({ ref, background: opts.background === true, resolve, reject });
    });
  }

  /** Refuses everything still queued (the store changed or is gone). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.queue.splice(0)) {
      this.metrics?.refused('closed');
      t.reject(new UnavailableError('the store was changed or removed while this call waited'));
    }
  }

  private flushBatch(client: StoreClient): void {
    const pending = this.batches.get(client) ?? [];
    this.batches.delete(client);
    const batch = client.batch!;
    for (let i = 0; i < pending.length; i += batch.maxSize) {
      const chunk = pending.slice(i, i + batch.maxSize);
      const background = chunk.every((p) => p.background);
      if (chunk.length === 1) {
        const only = chunk[0]!;
        this.call('read', (signal) => client.read(only.ref, signal), { background }).then(only.resolve, only.reject);
        continue;
      }
      this.call('batchRead', async (signal) => {
        const answers: RawOutcome[] = await batch.read(chunk.map((p) => p.ref), signal);
        this.metrics?.batched(chunk.length);
        return answers;
      }, { background }).then(
        (answers) => {
          chunk.forEach((p, j) => {
            const a = answers[j];
            if (a === undefined) p.reject(new UnavailableError(`the batch answer has no entry for key "${p.ref.key}"`));
            else if ('raw' in a) p.resolve(a.raw);
            else p.reject(a.error);
          });
        },
        (err: unknown) => {
          for (const p of chunk) p.reject(err);
        },
      );
    }
  }

  /** While the store is not answering, every call but one probe is refused at once. */
  private refuseWhileNotAnswering(): HushError | undefined {
    if (this.notAnsweringSince === undefined) return undefined;
    if (!this.probing && this.inFlight === 0) return undefined; // this call becomes the probe
    this.metrics?.refused('not-answering');
    const secs = formatSeconds(this.budget.callTimeoutMs).replace(/s$/, '');
    return new UnavailableError(
      `the store is not answering: a call to it timed out after ${secs}s; other calls are held back until one answers`,
      { retryAfterMs: Math.min(this.budget.callTimeoutMs, 30_000) },
    );
  }

  private pump(): void {
    if (this.closed) return;
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const now = this.now();
      // Calls that waited too long are failed with a time to come back, not kept forever. The
      // scheduler's own refreshes just wait: it paces them, and failing one would tell every
      // reader of the key that the store fails.
      if (!head.background && now - head.enqueuedAt > this.maxQueueWaitMs) {
        this.queue.shift();
        this.metrics?.refused('throttled');
        head.reject(this.overBudget(now));
        continue;
      }
      if (this.notAnsweringSince !== undefined) {
        if (this.probing || this.inFlight > 0) {
          // Everything queued behind a call that hung fails now, within one timeout of the hang.
          this.queue.shift();
          head.reject(this.refuseWhileNotAnswering() ?? new UnavailableError('the store is not answering'));
          continue;
        }
      }
      if (this.inFlight >= this.budget.concurrency) return;
      if (this.pausedUntil > now) return this.wakeAt(this.pausedUntil);
      this.refill(now);
      if (this.tokens < 1) return this.wakeAt(now + Math.ceil(((1 - this.tokens) * 1000) / this.rate));
      this.tokens -= 1;
      this.queue.shift();
      this.metrics?.queueWait(now - head.enqueuedAt);
      this.start(head);
    }
  }

  private start(task: Task): void {
    this.inFlight++;
    const startedAt = this.now();
    // The one call let through while the store is not answering: its answer decides for the rest.
    if (this.notAnsweringSince !== undefined) this.probing = true;
    const abort = new AbortController();
    let settled = false;
    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      this.inFlight--;
      this.probing = false;
    };
    const onTimeout = (): void => {
      if (settled) return;
      finish();
      abort.abort();
      this.notAnsweringSince ??= this.now();
      this.metrics?.call(task.name, 'timeout');
      task.reject(new TimeoutError(`the store did not answer within ${formatSeconds(this.budget.callTimeoutMs)} (${BUDGET_TIMEOUT_HINT})`));
      this.pump();
    };
    let timer = setTimeout(onTimeout, this.budget.callTimeoutMs);
    timer.unref?.();
    const charge = async (): Promise<void> => {
      // The task's further call waits for its token like any other call; waiting is not the store's slowness.
      clearTimeout(timer);
      for (;;) {
        if (settled || abort.signal.aborted) throw new UnavailableError('the call was stopped');
        const now = this.now();
        let wait = 0;
        if (this.pausedUntil > now) wait = this.pausedUntil - now;
        else {
          this.refill(now);
          if (this.tokens >= 1) {
            this.tokens -= 1;
            break;
          }
          wait = Math.ceil(((1 - this.tokens) * 1000) / this.rate);
        }
        await new Promise((r) => setTimeout(r, Math.max(1, wait)));
      }
      timer = setTimeout(onTimeout, this.budget.callTimeoutMs);
      timer.unref?.();
    };
    task.run(abort.signal, charge).then(
      (v) => {
        if (settled) return;
        finish();
        this.answered();
        this.consecutiveThrottles = 0;
        if (this.rate < this.budget.callsPerSecond) this.rate = Math.min(this.budget.callsPerSecond, this.rate + Math.max(0.1, this.budget.callsPerSecond / 50));
        this.metrics?.call(task.name, 'success');
        task.resolve(v);
        this.pump();
      },
      (err: unknown) => {
        if (settled) return;
        finish();
        // Any answer, even an error, shows the store is answering.
        if (!hasCode(err, 'Timeout')) this.answered();
        if (hasCode(err, 'Throttled')) {
          this.throttled(err.retryAfterMs, startedAt);
          this.metrics?.call(task.name, 'throttled');
        } else {
          this.metrics?.call(task.name, hasCode(err, 'Timeout') ? 'timeout' : 'error');
        }
        task.reject(err instanceof HushError ? err : asHushError(err));
        this.pump();
      },
    );
  }

  private answered(): void {
    this.notAnsweringSince = undefined;
  }

  /**
   * A throttling answer: pause the store for what it asked (or a doubling pause) and halve the
   * rate. Calls that were already out when the store first said so answer the same episode:
   * only a call started after the last throttling answer counts again, or eight calls in flight
   * together would halve the rate eight times and pause the store for a minute.
   */
  private throttled(retryAfterMs: number | undefined, callStartedAt: number): void {
    const now = this.now();
    if (callStartedAt <= this.lastThrottleAt) {
      this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? 0));
      return;
    }
    this.lastThrottleAt = now;
    this.consecutiveThrottles++;
    const own = Math.min(this.maxPauseMs, this.basePauseMs * 2 ** (this.consecutiveThrottles - 1));
    const pause = Math.min(this.maxPauseMs, Math.max(retryAfterMs ?? 0, own));
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    this.rate = Math.max(this.minRate, this.rate / 2);
    // Start from an empty bucket, so that the end of the pause is not a burst.
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }

  private overBudget(now: number): ThrottledError {
    const paused = this.pausedUntil - now;
    const why = paused > 0 ? `the store asked Hush to slow down; its calls are paused for ${(paused / 1000).toFixed(1)}s` : `the store is at its call budget (${formatRate(this.rate)} calls/s, ${this.budget.concurrency} at once) with ${this.queue.length} calls queued; raise it with the store annotation hush.dev/calls-per-second`;
    return new ThrottledError(why, { retryAfterMs: Math.max(1000, paused, Math.ceil((this.queue.length * 1000) / this.rate)) });
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill);
    this.lastRefill = now;
    this.tokens = Math.min(Math.max(1, this.budget.burst), this.tokens + (elapsed * this.rate) / 1000);
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, at - this.now()));
    this.timer.unref?.();
  }
}

/** Where the timeout comes from, for the message: the store's annotation or the default. */
const BUDGET_TIMEOUT_HINT = 'the limit is the store annotation hush.dev/call-timeout, default 30s';

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

function formatRate(r: number): string {
  return r >= 10 ? String(Math.round(r)) : r.toFixed(1);
}
