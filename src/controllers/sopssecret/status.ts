/** The Ready condition of a SopsSecret, and status comparison to skip no-op writes. */
import { kubeTime } from '../../kube/events.ts';
import type { SopsSecretCondition, SopsSecretStatus } from '../../api/hush/index.ts';

/** Sets Ready for `generation`, keeping lastTransitionTime while the status stays the same. */
export function withReady(
  status: SopsSecretStatus | undefined,
  ready: 'True' | 'False',
  reason: string,
  message: string,
  generation: number,
  now: Date,
  secretName?: string,
): SopsSecretStatus {
  const prev = status?.conditions?.find((c) => c.type === 'Ready');
  const cond: SopsSecretCondition = {
    type: 'Ready',
    status: ready,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: prev && prev.status === ready && prev.lastTransitionTime ? prev.lastTransitionTime : kubeTime(now),
  };
  const out: SopsSecretStatus = {
    ...(status ?? {}),
    observedGeneration: generation,
    conditions: [...(status?.conditions ?? []).filter((c) => c.type !== 'Ready'), cond],
  };
  if (secretName !== undefined) out.secretName = secretName;
  return out;
}

export function readyOf(status: SopsSecretStatus | undefined): SopsSecretCondition | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready');
}

/** Ready=True for exactly this generation: the last run succeeded and nothing in the spec changed since. */
export function isReadyFor(status: SopsSecretStatus | undefined, generation: number): boolean {
  const r = readyOf(status);
  return r?.status === 'True' && r.observedGeneration === generation && status?.observedGeneration === generation;
}

export function sameStatus(a: SopsSecretStatus | undefined, b: SopsSecretStatus): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(s: SopsSecretStatus | undefined): unknown {
  return {
    observedGeneration: s?.observedGeneration ?? null,
    secretName: s?.secretName ?? null,
    conditions: (s?.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.observedGeneration ?? null, c.lastTransitionTime ?? '']),
  };
}
