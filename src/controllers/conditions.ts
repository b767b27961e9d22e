/**
 * The progress conditions every Hush object reports beside ESO's `Ready`, in
 * the kstatus style that Flux (`wait: true`, health checks) and Argo CD read:
 *
 *   status.observedGeneration   the generation the status describes; while it is
 *                               behind metadata.generation the object is "in progress"
 *   Reconciling=True            a failure that is being retried, and when the next try is
 *   Stalled=True                a failure that needs a person: terminal at once, or a
 *                               retryable one that has lasted STALL_AFTER_MS (still retried)
 *
 * Both are present only while true (kstatus' "abnormal-true" convention); a
 * successful reconcile removes them. `Ready` keeps ESO's types and reasons,
 * so ESO's tools and printer columns see what they always saw.
 *
 * Why a retryable failure turns Stalled after a while: kstatus reads
 * Reconciling=True as "wait", so a Flux Kustomization with `wait: true` over an
 * ExternalSecret whose key is missing in the store would wait until its timeout
 * and then say only "timeout". Stalled turns that into "failed", with our
 * message, within about a minute; we keep retrying, and the first success clears it.
 * The clock is Ready's lastTransitionTime (when Ready went False), which lives
 * in the status, so a restart of the controller does not reset it.
 */
import { kubeTime } from '../kube/events.ts';
import type { HushError } from '../util/errors.ts';

/** How long a retryable failure is "Reconciling" before it is reported as "Stalled". */
export const STALL_AFTER_MS = 60_000;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export type Progress =
  | { state: 'ok' }
  | { state: 'retrying'; error: HushError; nextAttemptAt: Date }
  | { state: 'stalled'; error: HushError; nextAttemptAt: Date | undefined };

/**
 * The decision table. `failingSince` is when Ready last went False (undefined when it is
 * True or absent, i.e. this is the first failure); `retryDelayMs` is asked only for
 * retryable errors, because asking commits the queue to that delay.
 */
export function progressOf(error: HushError | undefined, failingSince: Date | undefined, now: Date, retryDelayMs: (err: HushError) => number): Progress {
  if (!error) return { state: 'ok' };
  if (!error.retryable) return { state: 'stalled', error, nextAttemptAt: undefined };
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(error));
  const failingFor = failingSince ? now.getTime() - failingSince.getTime() : 0;
  if (failingFor >= STALL_AFTER_MS) return { state: 'stalled', error, nextAttemptAt };
  return { state: 'retrying', error, nextAttemptAt };
}

/** When the object's Ready condition last went False, or undefined if it is not False. */
export function failingSince(conditions: readonly Condition[] | undefined): Date | undefined {
  const ready = conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'False' || !ready.lastTransitionTime) return undefined;
  const t = Date.parse(ready.lastTransitionTime);
  return Number.isNaN(t) ? undefined : new Date(t);
}

export { kubeTime };

/**
 * The conditions with Reconciling and Stalled set for `progress`; other types are kept as
 * they are. lastTransitionTime stays when a condition keeps its status.
 */
export function withProgress(conditions: readonly Condition[] | undefined, progress: Progress, now: Date, opts: { showNextAttempt?: boolean } = {}): Condition[] {
  // Each distinct message is a status write; a controller that retries every few seconds (stores)
  // leaves the time out so that a long outage does not write status on every attempt.
  const showNext = opts.showNextAttempt ?? true;
  const kept = (conditions ?? []).filter((c) => c.type !== 'Reconciling' && c.type !== 'Stalled');
  const prev = (type: string) => conditions?.find((c) => c.type === type);
  const since = (type: string) => (prev(type)?.status === 'True' ? (prev(type)?.lastTransitionTime ?? kubeTime(now)) : kubeTime(now));
  if (progress.state === 'ok') return kept;
  const code = progress.error.code;
  if (progress.state === 'retrying') {
    return [...kept, { type: 'Reconciling', status: 'True', reason: 'RetryScheduled', message: `the last attempt failed (${code}, see Ready); ${showNext ? `next attempt at ${kubeTime(progress.nextAttemptAt)}` : 'retried every few seconds'}`, lastTransitionTime: since('Reconciling') }];
  }
  const message = progress.nextAttemptAt
    ? `failing for more than ${STALL_AFTER_MS / 1000} s (${code}, see Ready); still retrying: ${showNext ? `next attempt at ${kubeTime(progress.nextAttemptAt)}` : 'every few seconds'}`
    : `failed (${code}, see Ready); retrying cannot help: change this object to try again`;
  return [...kept, { type: 'Stalled', status: 'True', reason: code, message, lastTransitionTime: since('Stalled') }];
}
