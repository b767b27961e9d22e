/**
 * When an ExternalSecret reads its stores, and how fresh the answers must be.
 * ESO's rules (eso-reference §6), with the reads themselves owned by the read
 * engine (read/reader.ts): a ref named by many ExternalSecrets is read once, at
 * the shortest of their intervals, and a changed answer wakes its readers.
 *
 *  - fresh: answers read at or after a point in time — the first sync or a spec or
 *    metadata change (answers of the last share window, 5 s by default, count: a
 *    hundred ExternalSecrets created together read each key once), a changed
 *    force-sync annotation (a read from now: the user asked for one), or the retry
 *    after a failure (a read after the failure). Every policy, refreshInterval 0
 *    included (ESO #4447 ignores spec changes after the first sync with 0, which
 *    surprises everyone).
 *  - periodic: refreshPolicy Periodic (the default) with an interval: answers no
 *    older than the interval (refreshInterval is a promise of maximum staleness).
 *    Due one interval after the last check, or at once when an answer changed.
 *  - drift: the Secret was changed or deleted under us: repaired from answers no
 *    older than the interval (any kept answer when there is none).
 *  - none: CreatedOnce once synced (spec changes and force-sync included, as ESO), OnChange or
 *    refreshInterval 0 with nothing changed, or not due.
 *
 * The store's reads are spread by the scheduler, not here. An ExternalSecret's own
 * timer, which only renders again from kept answers, is stretched by a stable
 * per-object factor in [0, 10%), so that 10,000 ExternalSecrets made together do not
 * read their Secrets from the API server in the same second of every interval.
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

/**
 * The shortest an ExternalSecret's own timer runs. The timer re-renders from kept answers
 * (a `templateFrom` ConfigMap may have changed); the answers themselves are kept fresh by the
 * scheduler and a changed one wakes its readers at once. At a refreshInterval of seconds, a
 * timer per ExternalSecret at that interval would be thousands of reconciles (and Secret GETs)
 * a second for nothing: measured, 1,000 ExternalSecrets at 5s kept a 2-core controller busy
 * enough to delay changes by a minute.
 */
export const MIN_OWN_TIMER_MS = 5 * 60_000;

/** When an ExternalSecret's own timer comes back after a check: its interval (at least 5 min), stretched by its jitter. */
export function ownTimerMs(es: ExternalSecretObject, intervalMs: number): number {
  return Math.round(Math.max(intervalMs, MIN_OWN_TIMER_MS) * (1 + jitterFraction(es.metadata.uid ?? es.metadata.name)));
}

export type ReadDecision =
  | { read: 'fresh' | 'periodic' | 'drift'; freshAfter: number; reason: string }
  | { read: 'none'; reason: string; nextInMs: number | undefined };

export interface ReadContext {
  now: number;
  /** When this ExternalSecret last checked its values and found its Secret right (this process). */
  lastCheckedAt: number | undefined;
  /** Set while a first sync, spec change or failed sync waits for answers read at or after it. */
  needFreshSince: number | undefined;
  /** An answer it reads changed (the read engine woke it). */
  changed: boolean;
  /** The Secret is as the last sync left it. */
  secretValid: boolean;
  /** How old a kept answer may be for a first sync or a spec change. */
  shareWindowMs: number;
  /** The force-sync annotation differs from the last sync's (or this process has not seen it). */
  forceSyncChanged: boolean;
}

export const FORCE_SYNC_ANNOTATION = 'external-secrets.io/force-sync';

export function readDecision(es: ExternalSecretObject, c: ReadContext): ReadDecision {
  const status = es.status;
  const synced = status?.refreshTime !== undefined && status.refreshTime !== '';
  // CreatedOnce: once synced, never again while the Secret is as it was, whatever changes (ESO:
  // not on a spec change, not on force-sync); a deleted or edited Secret is still repaired.
  if (es.spec.refreshPolicy === 'CreatedOnce' && synced && c.secretValid) return { read: 'none', reason: 'refreshPolicy CreatedOnce', nextInMs: undefined };
  if (c.needFreshSince !== undefined) return { read: 'fresh', freshAfter: c.needFreshSince, reason: 'waiting for answers newer than the last change or failure' };
  if (!synced) return { read: 'fresh', freshAfter: c.now - c.shareWindowMs, reason: 'never synced' };
  if (status.syncedResourceVersion !== syncedResourceVersion(es.metadata)) {
    if (c.forceSyncChanged) return { read: 'fresh', freshAfter: c.now, reason: 'force-sync' };
    return { read: 'fresh', freshAfter: c.now - c.shareWindowMs, reason: 'spec or metadata changed' };
  }

  const policy = es.spec.refreshPolicy ?? 'Periodic';
  const interval = policy === 'Periodic' ? refreshIntervalMs(es) : 0;
  const drift = (): ReadDecision => ({ read: 'drift', freshAfter: interval > 0 ? c.now - interval : -Infinity, reason: 'the Secret changed or is missing' });
  if (interval <= 0) {
    if (!c.secretValid) return drift();
    return { read: 'none', reason: policy === 'Periodic' ? 'refreshInterval 0: sync once' : `refreshPolicy ${policy}, unchanged`, nextInMs: undefined };
  }
  if (c.changed) return { read: 'periodic', freshAfter: c.now - interval, reason: 'an answer it reads changed' };
  // Not checked by this process yet (a restart, a new leader): check now, so that the
  // scheduler learns what it reads and watches it from here on. Waiting for the old
  // refreshTime would leave its answers unwatched until then.
  if (c.lastCheckedAt === undefined) return { read: 'periodic', freshAfter: c.now - interval, reason: 'not checked since this controller started' };
  const last = c.lastCheckedAt;
  // The ExternalSecret's own check comes at least every MIN_OWN_TIMER_MS: between, the
  // scheduler keeps its answers within refreshInterval and a change wakes it.
  const period = Math.max(interval, MIN_OWN_TIMER_MS);
  if (c.now >= last + period) return { read: 'periodic', freshAfter: c.now - interval, reason: 'refresh interval elapsed' };
  if (!c.secretValid) return drift();
  return { read: 'none', reason: 'not due', nextInMs: last + period - c.now };
}
