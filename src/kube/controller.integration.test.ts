/**
 * The controller runtime against a real etcd + kube-apiserver: shared
 * informers, warm restarts, the gate, and what an outcome does to the queue.
 * ConfigMaps stand in for any kind: nothing here knows about secrets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from './client.ts';
import { ControllerManager, type ReconcileContext } from './controller.ts';
import { Informer } from './informer.ts';
import { ConfigMaps, Namespaces, Secrets, type KubeObject } from './resources.ts';
import { skipReason, startTestCluster, type TestCluster } from './testing/cluster.ts';
import { InvalidSpecError, ThrottledError, UnavailableError } from '../util/errors.ts';

const skip = skipReason();

async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

void describe('controller runtime against a real kube-apiserver', { skip }, () => {
  let cp: TestCluster;
  let kube: KubeClient;
  let n = 0;
  const namespace = () => `rt-${process.pid}-${++n}`;
  const cm = (ns: string, name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { k: name } });

  before(async () => {
    cp = await startTestCluster();
    kube = cp.client();
  });
  after(async () => {
    await cp?.stop();
  });

  async function newNamespace(): Promise<string> {
    const ns = namespace();
    await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    return ns;
  }

  test('an informer restarts warm: no second list, and what changed while it was stopped arrives; managedFields are dropped', async () => {
    const ns = await newNamespace();
    await kube.create(ConfigMaps, cm(ns, 'before'));
    const inf = new Informer<KubeObject>(kube, ConfigMaps, { namespace: ns });
    const seen: string[] = [];
    inf.onAdd((o) => seen.push(o.metadata.name));
    let ac = new AbortController();
    await inf.start(ac.signal);
    assert.deepEqual(seen, ['before']);
    assert.equal(inf.get('before', ns)?.metadata.managedFields, undefined, 'the default transform drops managedFields');
    ac.abort();
    await inf.stopped();
    assert.equal(inf.isRunning(), false);

    await kube.create(ConfigMaps, cm(ns, 'while-stopped'));
    ac = new AbortController();
    await inf.start(ac.signal); // resolves at once: the cache is warm
    assert.ok(inf.get('before', ns), 'the cache was kept while stopped');
    await eventually('the change made while stopped', () => seen.includes('while-stopped'));
    assert.deepEqual(seen, ['before', 'while-stopped'], 'each object announced once across the restart');
    assert.equal(inf.stats.lists, 1, 'resumed from its resourceVersion instead of listing again');
    ac.abort();
    await inf.stopped();
  });

  test('shared informers: the same resource and options give one informer; other selectors another', () => {
    const mgr = new ControllerManager({ kube });
    const a = mgr.informer(ConfigMaps, { namespace: 'x' });
    const b = mgr.informer(ConfigMaps, { namespace: 'x' });
    const c = mgr.informer(ConfigMaps, { namespace: 'x', labelSelector: 'a=b' });
    const d = mgr.informer(Secrets, { namespace: 'x', metadataOnly: true });
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(a, d);
  });

  test('the gate: closed, nothing is reconciled; each opening reconciles every object, from caches that stay warm', async () => {
    const ns = await newNamespace();
    await kube.create(ConfigMaps, cm(ns, 'a'));
    await kube.create(ConfigMaps, cm(ns, 'b'));
    const mgr = new ControllerManager({ kube });
    const informer = mgr.informer<KubeObject>(ConfigMaps, { namespace: ns });
    const reconciled: string[] = [];
    mgr.register({ name: 'cm', for: { informer }, concurrency: 2, reconcile: (key) => (reconciled.push(key), Promise.resolve({})) });
    const events: string[] = [];
    informer.onUpdate((_a, b) => events.push(`update ${b.metadata.name}`));
    const caches = new AbortController();
    await mgr.startCaches(caches.signal);

    // Closed gate: the informer sees the change (positive sentinel), the controller does not act on it.
    await kube.patch(ConfigMaps, 'a', ns, { data: { k: 'changed' } }, 'merge');
    await eventually('the informer saw the update', () => events.includes('update a'));
    assert.equal(reconciled.length, 0, "nothing reconciled while the gate is closed");

    let gate = new AbortController();
    let running = mgr.runControllers(gate.signal);
    await eventually('both reconciled on opening', () => reconciled.includes(`${ns}/a`) && reconciled.includes(`${ns}/b`));
    gate.abort();
    await running;

    await kube.create(ConfigMaps, cm(ns, 'c'));
    await eventually('the cache has c', () => informer.get('c', ns) !== undefined);
    reconciled.length = 0;
    gate = new AbortController();
    running = mgr.runControllers(gate.signal);
    await eventually('every object reconciled again on re-opening', () => [`${ns}/a`, `${ns}/b`, `${ns}/c`].every((k) => reconciled.includes(k)));
    assert.equal(informer.stats.lists, 1, 'no list on re-opening');
    gate.abort();
    await running;
    caches.abort();
    await mgr.cachesStopped();
  });

  test('outcomes: a retryable error is retried after the delay the reconcile was told; a terminal one is not; watches map to keys', async () => {
    const ns = await newNamespace();
    await kube.create(ConfigMaps, cm(ns, 'flaky'));
    await kube.create(ConfigMaps, cm(ns, 'broken'));
    await kube.create(ConfigMaps, cm(ns, 'zero'));
    const mgr = new ControllerManager({ kube });
    const informer = mgr.informer<KubeObject>(ConfigMaps, { namespace: ns, labelSelector: '!watched' });
    const watched = mgr.informer<KubeObject>(ConfigMaps, { namespace: ns, labelSelector: 'watched' });
    const calls = new Map<string, number>();
    const told: number[] = [];
    const flakyTold: number[] = [];
    mgr.register({
      name: 'outcomes',
      for: { informer },
      watches: [{ informer: watched, onAdd: (o) => [`${ns}/${o.metadata.labels!.watched!}`] }],
      queue: { baseDelayMs: 100, jitter: 0 },
      concurrency: 1,
      reconcile: (key: string, ctx: ReconcileContext) => {
        const count = (calls.get(key) ?? 0) + 1;
        calls.set(key, count);
        if (key.endsWith('/broken')) return Promise.reject(new InvalidSpecError('needs a person'));
        if (key.endsWith('/zero') && count === 1) {
          // A Retry-After of 0 must not become an immediate retry: the backoff is the floor.
          const err = new ThrottledError('slow down', { retryAfterMs: 0 });
          told.push(ctx.retryDelayMs(err));
          return Promise.reject(err);
        }
        if (key.endsWith('/flaky') && count <= 2) {
          const err = new UnavailableError('try later');
          const delay = ctx.retryDelayMs(err);
          assert.equal(ctx.retryDelayMs(err), delay, 'asking twice gives the same, committed delay');
          flakyTold.push(delay);
          return Promise.reject(err);
        }
        return Promise.resolve({});
      },
    });
    const stop = new AbortController();
    await mgr.startCaches(stop.signal);
    const running = mgr.runControllers(stop.signal);
    await eventually('flaky and zero retried', () => calls.get(`${ns}/flaky`) === 3 && calls.get(`${ns}/zero`) === 2);
    assert.deepEqual(told, [100], 'Retry-After: 0 gets the first backoff step, not an immediate retry');
    // Each failure counts once: the runtime re-uses the delay the reconcile was told instead of reserving another.
    assert.deepEqual(flakyTold, [100, 200], 'the backoff doubles once per failure');
    await kube.create(ConfigMaps, cm(ns, 'w', { watched: 'sentinel' }));
    await eventually('the watch mapped to its key', () => calls.get(`${ns}/sentinel`) === 1);
    // Nothing is waiting in the queue: "broken" was dropped, not scheduled for a retry.
    await eventually('the queue is idle', () => mgr.queueStats('outcomes')?.ready === 0);
    assert.deepEqual(mgr.queueStats('outcomes'), { ready: 0, delayed: 0 });
    assert.equal(calls.get(`${ns}/broken`), 1, 'a terminal error is not retried');
    stop.abort();
    await running;
    await mgr.cachesStopped();
  });
});
