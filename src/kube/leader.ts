/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
 *
 * - Writes use optimistic concurrency (metadata.resourceVersion), so two
 *   candidates can never both win the same round.
 * - A lease held by someone else is taken over only after it has not
 *   changed for leaseDurationSeconds *as measured by our own clock* from when
 *   we first saw its current state. The holder's renewTime is never compared
 *   with our clock, so clock skew between nodes does not matter.
 * - The leader renews every retryPeriod; if it cannot renew for renewDeadline
 *   (< leaseDuration) it steps down (aborts the leader signal) before anyone
 *   else may take over — the gap between the two is what keeps two leaders
 *   from overlapping.
 * - On a graceful stop the leader releases the lease (empty holder,
 *   leaseDurationSeconds 1) so a successor takes over at once instead of
 *   waiting for expiry: candidates also watch the Lease and try again as soon
 *   as they see it released or deleted, not only every retry period.
 */
import { describeError } from '../util/errors.ts';
import { silentLogger, type Logger } from '../util/log.ts';
import { sleepUnlessAborted } from './backoff.ts';
import { isAlreadyExists, isConflict, KubeApiError, type KubeClient } from './client.ts';
import { Leases, type KubeObject } from './resources.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  /** Unique per process, e.g. pod name + random suffix. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the lease when run()'s signal aborts; default true. */
  releaseOnCancel?: boolean;
  logger?: Logger;
}

export interface LeaderCallbacks {
  /** Called once leadership is won. Stop all leader work when leaderSignal aborts. */
  onStartedLeading(leaderSignal: AbortSignal): void | Promise<void>;
  /** Called when leadership ends: lost, or run()'s signal aborted. */
  onStoppedLeading(): void;
  /** Called when the observed leader changes (including to ourselves). */
  onNewLeader?(identity: string): void;
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly releaseOnCancel: boolean;
  private readonly log: Logger;
  private leading = false;
  /** The lease as we last wrote or read it; renewals PUT against it without a GET. */
  private lease: Lease | undefined;
  private observedKey = '';
  private observedAt = 0;
  private reportedLeader = '';

  constructor(client: KubeClient, opts: LeaderElectorOptions) {
    this.client = client;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.releaseOnCancel = opts.releaseOnCancel ?? true;
    this.log = (opts.logger ?? silentLogger).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) {
      throw new Error('leader election: renewDeadlineMs must be shorter than leaseDurationMs');
    }
    if (!(this.retryPeriodMs * 1.2 < this.renewDeadlineMs)) {
      throw new Error('leader election: retryPeriodMs·1.2 must be shorter than renewDeadlineMs');
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until leadership is won, leads until it is lost or `signal`
   * aborts, then returns. It does not campaign again: a process that lost
   * leadership should exit (or call run() again) so that it restarts from a
   * clean state.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    // Campaign: every retry period, and at once when the watch sees the Lease released.
    const campaign = new AbortController();
    const campaignSignal = AbortSignal.any([signal, campaign.signal]);
    let wake: (() => void) | undefined;
    // A release seen while a round is in flight must still cut the next sleep short.
    let released = false;
    const watching = this.watchForRelease(campaignSignal, () => {
      released = true;
      wake?.();
    });
    try {
      while (!signal.aborted) {
        released = false;
        if (await this.tryAcquireOrRenew(signal, callbacks)) break;
        if (released) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
          void sleepUnlessAborted(this.retryPeriodMs * (1 + 0.2 * Math.random()), signal).then(resolve);
        });
        wake = undefined;
      }
    } finally {
      campaign.abort();
      await watching;
    }
    if (signal.aborted) return;

    this.leading = true;
    this.log.info('became leader');
    const leaderCtl = new AbortController();
    const leaderWork = Promise.resolve()
      .then(() => callbacks.onStartedLeading(leaderCtl.signal))
      .catch((err: unknown) => this.log.error('onStartedLeading failed', { error: describeError(err) }));

    // Renew.
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleepUnlessAborted(this.retryPeriodMs, signal);
      if (signal.aborted) break;
      const left = this.renewDeadlineMs - (Date.now() - lastRenew);
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(Math.max(this.retryPeriodMs, left))]);
      if (await this.tryAcquireOrRenew(attempt, callbacks)) {
        lastRenew = Date.now();
        continue;
      }
      if (signal.aborted) break;
      if (Date.now() - lastRenew >= this.renewDeadlineMs) {
        this.log.warn('could not renew the lease within the renew deadline; stepping down', {
          renewDeadlineMs: this.renewDeadlineMs,
        });
        break;
      }
    }

    this.leading = false;
    leaderCtl.abort(new Error('leadership lost'));
    if (signal.aborted && this.releaseOnCancel) {
      // Let leader work wind down before handing over, but not forever.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([leaderWork, new Promise((resolve) => (timer = setTimeout(resolve, this.renewDeadlineMs)))]);
      clearTimeout(timer);
      await this.release();
    }
    callbacks.onStoppedLeading();
  }

  /**
   * Watches the Lease until `signal` aborts and calls `onRelease` whenever it is released (empty
   * holder) or deleted. Best effort: the retry-period poll still runs if the watch cannot.
   */
  private async watchForRelease(signal: AbortSignal, onRelease: () => void): Promise<void> {
    while (!signal.aborted) {
      try {
        const events = this.client.watch(Leases, {
          namespace: this.namespace,
          fieldSelector: `metadata.name=${this.name}`,
          resourceVersion: '',
          timeoutSeconds: 300,
          allowBookmarks: false,
          signal,
        });
        for await (const ev of events) {
          if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
          const spec = (ev.object as Lease).spec;
          if (ev.type === 'DELETED' || !spec?.holderIdentity) onRelease();
        }
      } catch (err) {
        if (signal.aborted) return;
        this.log.debug('lease watch failed; polling only until it is back', { error: describeError(err) });
      }
      await sleepUnlessAborted(this.retryPeriodMs, signal);
    }
  }

  /** One round: create, take over or renew the lease. True when we hold it afterwards. */
  private async tryAcquireOrRenew(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<boolean> {
    const now = Date.now();
    try {
      let lease = this.leading ? this.lease : undefined;
      if (!lease) {
        lease = await this.client.get<Lease>(Leases, this.name, this.namespace, { signal });
        if (!lease) {
          const created = await this.client.create<Lease>(
            Leases,
            { metadata: { name: this.name, namespace: this.namespace }, spec: this.ourSpec(now, undefined) },
            { signal },
          );
          this.remember(created, now, callbacks);
          return true;
        }
        this.observe(lease, now, callbacks);
        const spec = lease.spec ?? {};
        const holder = spec.holderIdentity ?? '';
        const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
        if (holder !== '' && holder !== this.identity && this.observedAt + durationMs > now) return false;
      }
      const updated = await this.client.replace<Lease>(
        Leases,
        { ...lease, spec: this.ourSpec(now, lease.spec) },
        { signal },
      );
      this.remember(updated, now, callbacks);
      return true;
    } catch (err) {
      // Someone else wrote first (or our cached copy is stale): read again next round.
      this.lease = undefined;
      if (signal.aborted) return false;
      if (isConflict(err) || isAlreadyExists(err)) {
        this.log.debug('lost a lease write race', { error: describeError(err) });
      } else {
        this.log.warn('lease read/write failed', {
          error: describeError(err),
          ...(err instanceof KubeApiError ? { status: err.status } : {}),
        });
      }
      return false;
    }
  }

  private ourSpec(now: number, prev: LeaseSpec | undefined): LeaseSpec {
    const weHeldIt = prev?.holderIdentity === this.identity;
    const nowMicro = microTime(now);
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.leaseDurationMs / 1000)),
      acquireTime: weHeldIt && prev?.acquireTime ? prev.acquireTime : nowMicro,
      renewTime: nowMicro,
      leaseTransitions: weHeldIt ? (prev?.leaseTransitions ?? 0) : prev ? (prev.leaseTransitions ?? 0) + 1 : 0,
    };
  }

  private remember(lease: Lease, now: number, callbacks: LeaderCallbacks): void {
    this.lease = lease;
    this.observe(lease, now, callbacks);
  }

  /** Tracks when the lease's content last changed, by our clock. */
  private observe(lease: Lease, now: number, callbacks: LeaderCallbacks): void {
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.acquireTime ?? ''}|${spec.leaseTransitions ?? 0}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = now;
    }
    const holder = spec.holderIdentity ?? '';
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.log.info('observed new leader', { leader: holder });
      try {
        callbacks.onNewLeader?.(holder);
      } catch (err) {
        this.log.error('onNewLeader failed', { error: describeError(err) });
      }
    }
  }

  /** Hands the lease back: empty holder, 1 s duration. Best effort, bounded. */
  private async release(): Promise<void> {
    const lease = this.lease;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    const now = microTime(Date.now());
    try {
      await this.client.replace<Lease>(
        Leases,
        {
          ...lease,
          spec: {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: lease.spec.leaseTransitions ?? 0,
          },
        },
        { signal: AbortSignal.timeout(this.renewDeadlineMs) },
      );
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('could not release the lease; the next leader waits for it to expire', {
        error: describeError(err),
      });
    } finally {
      this.lease = undefined;
    }
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds ("...05.123000Z"). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
