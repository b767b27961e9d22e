/**
 * When to read the store again. ESO's rules (see eso-reference §6) with two
 * deliberate improvements:
 *  - jitter: each object's period is stretched by a stable per-object factor
 *    in [0, 10%], so objects created together drift apart instead of hitting
 *    the store in lockstep forever (ESO #4231);
 *  - refreshInterval 0 still syncs again when the spec changes (ESO #4447
 *    ignores spec changes after the first sync, which surprises everyone).
 */
import { createHash } from 'node:crypto';
import { parseGoDuration } from '../../util/duration.ts';
import { syncedResourceVersion } from './hash.ts';
import { defaults, type ExternalSecretObject } from './spec.ts';

export function refreshIntervalMs(es: ExternalSecretObject): number {
  return parseGoDuration(es.spec.refreshInterval ?? defaults.refreshInterval, 'spec.refreshInterval');
}

/** A stable factor in [0, maxFraction) derived from the object's uid. */
export function jitterFraction(uid: string, maxFraction = 0.1): number {
  const h = createHash('sha256').update(uid).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * maxFraction;
}

export interface RefreshDecision {
  refresh: boolean;
  reason: string;
}

export function shouldRefresh(es: ExternalSecretObject, now: number): RefreshDecision {
  const status = es.status;
  const synced = status?.refreshTime !== undefined && status.refreshTime !== '';
  if (!synced) return { refresh: true, reason: 'never synced' };
  const specChanged = status.syncedResourceVersion !== syncedResourceVersion(es.metadata);
  switch (es.spec.refreshPolicy) {
    case 'CreatedOnce':
      return { refresh: false, reason: 'refreshPolicy CreatedOnce' };
    case 'OnChange':
      return specChanged ? { refresh: true, reason: 'spec or metadata changed' } : { refresh: false, reason: 'refreshPolicy OnChange, unchanged' };
    default: {
      if (specChanged) return { refresh: true, reason: 'spec or metadata changed' };
      const interval = refreshIntervalMs(es);
      if (interval <= 0) return { refresh: false, reason: 'refreshInterval 0: sync once' };
      const last = Date.parse(status.refreshTime!);
      if (Number.isNaN(last) || last > now) return { refresh: true, reason: 'refreshTime in the future' };
      const due = last + interval * (1 + jitterFraction(es.metadata.uid ?? es.metadata.name));
      return now >= due ? { refresh: true, reason: 'refresh interval elapsed' } : { refresh: false, reason: 'not due' };
    }
  }
}

/** Milliseconds until the next periodic refresh, or undefined when none is scheduled. */
export function nextRefreshInMs(es: ExternalSecretObject, refreshTime: number, now: number): number | undefined {
  const policy = es.spec.refreshPolicy;
  if (policy === 'CreatedOnce' || policy === 'OnChange') return undefined;
  const interval = refreshIntervalMs(es);
  if (interval <= 0) return undefined;
  const due = refreshTime + interval * (1 + jitterFraction(es.metadata.uid ?? es.metadata.name));
  return Math.max(0, due - now);
}
