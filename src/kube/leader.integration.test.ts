/**
 * LeaderElector against a real etcd + kube-apiserver, with short durations
 * (lease 3 s, renew deadline 2 s, retry 0.5 s) so hand-overs take seconds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from './client.ts';
import { LeaderElector, type Lease } from './leader.ts';
import { Leases, Namespaces } from './resources.ts';
import { skipReason, startTestCluster, type TestCluster } from './testing/cluster.ts';

const skip = skipReason();
const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

interface Candidate {
  id: string;
  elector: LeaderElector;
  stop: AbortController;
  /** Resolves when run() returns. */
  done: Promise<void>;
  startedAt?: number;
  stoppedAt?: number;
  leaderSignal?: AbortSignal;
  leadersSeen: string[];
}

function campaign(client: KubeClient, id: string, lease: string, extra: { releaseOnCancel?: boolean } = {}): Candidate {
  const elector = new LeaderElector(client, { namespace: 'leases', name: lease, identity: id, ...timing, ...extra });
  const c: Candidate = { id, elector, stop: new AbortController(), done: Promise.resolve(), leadersSeen: [] };
  c.done = elector.run(c.stop.signal, {
    onStartedLeading: (signal) => {
      c.startedAt = Date.now();
      c.leaderSignal = signal;
    },
    onStoppedLeading: () => {
      c.stoppedAt = Date.now();
    },
    onNewLeader: (leader) => c.leadersSeen.push(leader),
  });
  return c;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

void describe('LeaderElector against a real kube-apiserver', { skip }, () => {
  let cp: TestCluster;
  let kube: KubeClient;

  before(async () => {
    cp = await startTestCluster();
    kube = cp.client();
    await kube.create(Namespaces, { metadata: { name: 'leases' } });
  });
  after(async () => {
    await cp?.stop();
  });

  void test('one of two candidates leads; on a graceful stop it releases and the other leads within ~1 s', async () => {
    const a = campaign(kube, 'a', 'graceful');
    await until('a leads', () => a.elector.isLeader());
    const b = campaign(kube, 'b', 'graceful');
    await until('b sees a as leader', () => b.leadersSeen.includes('a'));
    // Positive sentinel instead of a pause: watch a renew the lease three times (renewTime moves),
    // then b must still be a follower.
    const renewals = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (renewals.size < 4) {
      if (Date.now() > deadline) assert.fail(`a renewed only ${renewals.size} times in 10 s`);
      const l = await kube.get<Lease>(Leases, 'graceful', 'leases');
      if (l?.spec?.holderIdentity === 'a' && l.spec.renewTime) renewals.add(l.spec.renewTime);
      await sleep(50);
    }
    assert.equal(b.elector.isLeader(), false);
    assert.equal(b.startedAt, undefined);

    const stopAt = Date.now();
    a.stop.abort();
    await a.done;
    assert.equal(a.leaderSignal?.aborted, true);
    assert.ok(a.stoppedAt);
    const released = await kube.get<Lease>(Leases, 'graceful', 'leases');
    assert.ok(released?.spec?.holderIdentity === '' || released?.spec?.holderIdentity === 'b');

    await until('b leads', () => b.elector.isLeader(), 5000);
    const handover = b.startedAt! - stopAt;
    assert.ok(handover < 2000, `hand-over took ${handover} ms`);
    const lease = await kube.get<Lease>(Leases, 'graceful', 'leases');
    assert.equal(lease?.spec?.holderIdentity, 'b');
    assert.equal(lease?.spec?.leaseTransitions, 1);
    b.stop.abort();
    await b.done;
  });

  void test('a leader cut off from the apiserver steps down at its renew deadline; the other takes over only after the lease expires', async () => {
    const { client: proxied, proxy } = await cp.proxiedClient();
    const a = campaign(proxied, 'a', 'partition');
    await until('a leads', () => a.elector.isLeader());
    const b = campaign(kube, 'b', 'partition');
    await until('b sees a as leader', () => b.leadersSeen.includes('a'));

    const cutAt = Date.now();
    proxy.partition();
    await until('a steps down', () => a.leaderSignal?.aborted === true, 6000);
    await a.done;
    const stepDown = a.stoppedAt! - cutAt;
    assert.ok(stepDown >= 1000 && stepDown < 3500, `a stepped down ${stepDown} ms after the cut`);

    await until('b leads', () => b.elector.isLeader(), 10_000);
    const takeover = b.startedAt! - cutAt;
    // b waits for the lease to go unrenewed for leaseDuration (3 s) by its own clock.
    assert.ok(takeover >= 2500, `b took over ${takeover} ms after the cut: too early, two leaders possible`);
    assert.ok(takeover < 7000, `b took over ${takeover} ms after the cut: too late`);
    assert.ok(a.stoppedAt! <= b.startedAt!, 'never two leaders at once');
    b.stop.abort();
    await b.done;
    proxy.heal();
  });

  void test('without releaseOnCancel a stopped leader leaves the lease to expire', async () => {
    const a = campaign(kube, 'a', 'no-release', { releaseOnCancel: false });
    await until('a leads', () => a.elector.isLeader());
    const b = campaign(kube, 'b', 'no-release');
    await until('b sees a as leader', () => b.leadersSeen.includes('a'));
    const stopAt = Date.now();
    a.stop.abort();
    await a.done;
    assert.equal((await kube.get<Lease>(Leases, 'no-release', 'leases'))?.spec?.holderIdentity, 'a');
    await until('b leads', () => b.elector.isLeader(), 10_000);
    assert.ok(b.startedAt! - stopAt >= 2000, 'b waited for expiry');
    b.stop.abort();
    await b.done;
  });
});
