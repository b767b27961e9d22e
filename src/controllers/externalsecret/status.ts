/** Ready conditions with ESO's reasons, and status comparison to avoid no-op writes. */
import type { Condition, ExternalSecretStatus } from './spec.ts';

export const Reasons = {
  SecretSynced: 'SecretSynced',
  SecretSyncedError: 'SecretSyncedError',
  SecretDeleted: 'SecretDeleted',
  SecretMissing: 'SecretMissing',
} as const;

/** Sets the Ready condition, keeping lastTransitionTime when the status did not change. */
export function withReady(status: ExternalSecretStatus | undefined, ready: 'True' | 'False', reason: string, message: string, now: Date): ExternalSecretStatus {
  const prev = status?.conditions?.find((c) => c.type === 'Ready');
  const cond: Condition = {
    type: 'Ready',
    status: ready,
    reason,
    message,
    lastTransitionTime: prev && prev.status === ready ? (prev.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
  };
  const others = (status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  return { ...(status ?? {}), conditions: [...others, cond] };
}

export function sameStatus(a: ExternalSecretStatus | undefined, b: ExternalSecretStatus): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(s: ExternalSecretStatus | undefined): unknown {
  if (!s) return {};
  return {
    observedGeneration: s.observedGeneration ?? null,
    refreshTime: s.refreshTime ?? null,
    syncedResourceVersion: s.syncedResourceVersion ?? null,
    binding: s.binding?.name ?? null,
    conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']),
  };
}
