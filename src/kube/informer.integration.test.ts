/**
 * Informer against a real etcd + kube-apiserver. The apiserver runs with the
 * watch cache off for ConfigMaps, so ConfigMap watches are served by etcd
 * directly and compacting etcd makes an old resourceVersion answer 410 —
 * a deterministic way to force the relist path. Network trouble comes from
 * a TCP relay in front of the apiserver that the test can cut or freeze.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from './client.ts';
import { Informer, type DeleteInfo } from './informer.ts';
import { ConfigMaps, Namespaces, Secrets, type KubeObject } from './resources.ts';
import { compactEtcd, startComponent, stopComponent } from '../devenv/index.ts';
import { skipReason, startTestCluster, type TestCluster } from './testing/cluster.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const skip = skipReason();
const canary = 'CANARY-informer-value';

/** Polls until check() is true; fails with `what` after timeoutMs. */
async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

/** Records handler calls as readable strings: "add a", "update b 3→4", "delete c (unknown)". */
function recordEvents<T extends KubeObject>(inf: Informer<T>): string[] {
  const log: string[] = [];
  inf.onAdd((o) => log.push(`add ${o.metadata.name}`));
  inf.onUpdate((o, n) => log.push(`update ${n.metadata.name}${o === n ? ' (resync)' : ''}`));
  inf.onDelete((o, info: DeleteInfo) => log.push(`delete ${o.metadata.name}${info.finalStateUnknown ? ' (unknown)' : ''}`));
  return log;
}

/** Aborts and checks the loop really ends (an abort lost in a race would leave a watch open for minutes). */
async function stop(ac: AbortController, inf: Informer<KubeObject>): Promise<void> {
  const t0 = Date.now();
  ac.abort();
  await inf.stopped();
  assert.ok(Date.now() - t0 < 2000, `informer stopped in ${Date.now() - t0} ms`);
}

void describe('Informer against a real kube-apiserver', { skip }, () => {
  let cp: TestCluster;
  let kube: KubeClient;

  before(async () => {
    cp = await startTestCluster({ apiserverArgs: ['--watch-cache-sizes=configmaps#0'] });
    kube = cp.client();
  });
  after(async () => {
    await cp?.stop();
  });

  async function namespace(name: string): Promise<string> {
    await kube.create(Namespaces, { metadata: { name } });
    return name;
  }

  void test('caches, indexes and reports adds, updates and deletes; objects are frozen', async () => {
    const ns = await namespace('inf-basic');
    await kube.create<ConfigMap>(ConfigMaps, { metadata: { name: 'pre', namespace: ns, labels: { app: 'x' } } });
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(kube, ConfigMaps, {
      namespace: ns,
      indexers: { byApp: (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []) },
    });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(log, ['add pre']);
    assert.ok(inf.lastSyncResourceVersion);

    await kube.create<ConfigMap>(ConfigMaps, { metadata: { name: 'b', namespace: ns, labels: { app: 'y' } }, data: { k: '1' } });
    await eventually('add b', () => inf.get('b', ns) !== undefined);
    await kube.patch(ConfigMaps, 'b', ns, { metadata: { labels: { app: 'x' } }, data: { k: '2' } }, 'merge');
    await eventually('update b', () => inf.get('b', ns)?.data?.k === '2');
    assert.deepEqual(inf.byIndex('byApp', 'x').map((o) => o.metadata.name).sort(), ['b', 'pre']);
    assert.deepEqual(inf.byIndex('byApp', 'y'), [], 'the index follows label changes');
    assert.equal(inf.list(ns).length, 2);
    assert.equal(inf.list('other-namespace').length, 0);

    const cached = inf.get('b', ns)!;
    assert.ok(Object.isFrozen(cached) && Object.isFrozen(cached.metadata) && Object.isFrozen(cached.data));
    assert.throws(() => {
      (cached.data as Record<string, string>).k = 'mutated';
    }, TypeError);

    await kube.delete(ConfigMaps, 'b', ns);
    await eventually('delete b', () => inf.get('b', ns) === undefined);
    assert.deepEqual(inf.byIndex('byApp', 'x').map((o) => o.metadata.name), ['pre']);
    assert.deepEqual(log, ['add pre', 'add b', 'update b', 'delete b']);
    assert.throws(() => inf.byIndex('nope', 'x'), /no index named nope/);

    // A handler added after sync is first told about what is already cached.
    const late: string[] = [];
    inf.onAdd((o) => late.push(o.metadata.name));
    assert.deepEqual(late, ['pre']);
    await stop(ac, inf);
  });

  void test('pages through the initial list', async () => {
    const ns = await namespace('inf-pages');
    for (let i = 0; i < 7; i++) await kube.create(ConfigMaps, { metadata: { name: `p${i}`, namespace: ns } });
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(kube, ConfigMaps, { namespace: ns, pageSize: 3 });
    await inf.start(ac.signal);
    assert.equal(inf.size(), 7);
    await stop(ac, inf);
  });

  void test('a list page over the client response cap is asked for again in smaller pages', async () => {
    const ns = await namespace('inf-cap');
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 8; i++) await kube.create(ConfigMaps, { metadata: { name: `big${i}`, namespace: ns }, data: { v: big } } as KubeObject);
    // 8 × 20 KB in one page is over a 64 KB cap; pages of two fit.
    const capped = KubeClient.fromKubeconfig(cp.env.kubeconfig, undefined, { maxResponseBytes: 64 * 1024 });
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(capped, ConfigMaps, { namespace: ns, pageSize: 8 });
    try {
      await inf.start(ac.signal);
      assert.equal(inf.size(), 8);
    } finally {
      await stop(ac, inf);
      capped.close();
    }
  });

  void test('metadata-only informer of Secrets never holds secret data', async () => {
    const ns = await namespace('inf-meta');
    await kube.create(Secrets, { metadata: { name: 's1', namespace: ns }, stringData: { v: canary } } as KubeObject);
    const ac = new AbortController();
    const inf = new Informer(kube, Secrets, { namespace: ns, metadataOnly: true });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    await kube.create(Secrets, { metadata: { name: 's2', namespace: ns }, stringData: { v: canary } } as KubeObject);
    await eventually('add s2', () => log.includes('add s2'));
    for (const obj of inf.list()) {
      assert.equal(obj.kind, 'PartialObjectMetadata');
      assert.ok(!('data' in obj));
    }
    assert.ok(!JSON.stringify(inf.list()).includes(canary));
    await stop(ac, inf);
  });

  void test('resumes after each watch timeout from the last resourceVersion, without relisting', async () => {
    const ns = await namespace('inf-resume');
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(kube, ConfigMaps, { namespace: ns, watchTimeoutSeconds: [1, 1] });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    await eventually('three watches', () => inf.stats.watches >= 3, 8000);
    await kube.create(ConfigMaps, { metadata: { name: 'after-timeouts', namespace: ns } });
    await eventually('add after-timeouts', () => log.includes('add after-timeouts'));
    assert.equal(inf.stats.lists, 1, 'never relisted');
    assert.equal(inf.stats.errors, 0);
    assert.deepEqual(log, ['add after-timeouts'], 'no duplicate or replayed events');
    await stop(ac, inf);
  });

  void test('periodic resync calls onUpdate(obj, obj) for cached objects', async () => {
    const ns = await namespace('inf-resync');
    await kube.create(ConfigMaps, { metadata: { name: 'r', namespace: ns } });
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(kube, ConfigMaps, { namespace: ns, resyncMs: 100 });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    await eventually('two resyncs', () => log.filter((l) => l === 'update r (resync)').length >= 2, 3000);
    await stop(ac, inf);
  });

  void test('after a partition outlasting etcd compaction, gets 410, relists and emits the differences', async () => {
    const ns = await namespace('inf-gone');
    for (const n of ['keep', 'change', 'vanish']) {
      await kube.create<ConfigMap>(ConfigMaps, { metadata: { name: n, namespace: ns }, data: { v: '1' } });
    }
    const { client: proxied, proxy } = await cp.proxiedClient();
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(proxied, ConfigMaps, { namespace: ns });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    assert.deepEqual(log.sort(), ['add change', 'add keep', 'add vanish']);
    log.length = 0;

    proxy.partition();
    await kube.delete(ConfigMaps, 'vanish', ns);
    await kube.patch(ConfigMaps, 'change', ns, { data: { v: '2' } }, 'merge');
    await kube.create(ConfigMaps, { metadata: { name: 'new', namespace: ns } });
    // Writes elsewhere, then compaction: the informer's resourceVersion is now history.
    for (let i = 0; i < 3; i++) await kube.create(ConfigMaps, { metadata: { name: `noise${i}`, namespace: 'default' } });
    await compactEtcd(cp.env);
    proxy.heal();

    await eventually('relist after 410', () => inf.stats.relistsAfterGone >= 1, 15_000);
    await eventually('differences emitted', () => log.length >= 3);
    assert.deepEqual(log.sort(), ['add new', 'delete vanish (unknown)', 'update change']);
    assert.equal(inf.get('change', ns)?.data?.v, '2');
    assert.equal(inf.get('vanish', ns), undefined);
    assert.equal(inf.stats.lists, 2);

    // And it keeps watching afterwards.
    await kube.delete(ConfigMaps, 'keep', ns);
    await eventually('delete keep', () => log.includes('delete keep'));
    await stop(ac, inf);
  });

  void test('the stall watchdog restarts a watch that has gone silent', async () => {
    const ns = await namespace('inf-stall');
    const { client: proxied, proxy } = await cp.proxiedClient();
    const ac = new AbortController();
    const inf = new Informer<ConfigMap>(proxied, ConfigMaps, {
      namespace: ns,
      watchTimeoutSeconds: [60, 60],
      stallTimeoutMs: 1000,
    });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    // Let the watch connect before freezing it.
    await kube.create(ConfigMaps, { metadata: { name: 'before-freeze', namespace: ns } });
    await eventually('add before-freeze', () => log.includes('add before-freeze'));
    proxy.freeze();
    await kube.create(ConfigMaps, { metadata: { name: 'during-freeze', namespace: ns } });
    await eventually('add during-freeze, via a new watch', () => log.includes('add during-freeze'), 8000);
    assert.ok(inf.stats.stalls >= 1);
    assert.equal(inf.stats.lists, 1, 'resumed, not relisted');
    await stop(ac, inf);
  });

  void test('aborting before the first sync rejects start()', async () => {
    const { client: proxied, proxy } = await cp.proxiedClient();
    proxy.partition();
    const ac = new AbortController();
    const inf = new Informer(proxied, ConfigMaps, {});
    const started = inf.start(ac.signal);
    await sleep(100);
    ac.abort(new Error('giving up'));
    await assert.rejects(started, /giving up/);
    await inf.stopped();
    assert.equal(inf.hasSynced(), false);
  });

  // Last: it restarts the apiserver under the other tests' feet.
  void test('survives an apiserver restart and sees the changes made while it was away', async () => {
    const ns = await namespace('inf-restart');
    await kube.create(Secrets, { metadata: { name: 'old', namespace: ns } });
    const { client: proxied, proxy } = await cp.proxiedClient();
    const ac = new AbortController();
    const inf = new Informer(proxied, Secrets, { namespace: ns, metadataOnly: true });
    const log = recordEvents(inf);
    await inf.start(ac.signal);
    log.length = 0;

    // Keep the informer away while the apiserver restarts and the world changes.
    proxy.partition();
    // No grace period: the apiserver dies as on a crash, without closing its watches first.
    await stopComponent(cp.env, 'kube-apiserver', { graceMs: 0 });
    await startComponent(cp.env, 'kube-apiserver');
    await kube.create(Secrets, { metadata: { name: 'made-while-away', namespace: ns } });
    await kube.delete(Secrets, 'old', ns);
    proxy.heal();

    await eventually('sees both changes', () => log.includes('add made-while-away') && log.some((l) => l.startsWith('delete old')), 20_000);
    assert.ok(inf.stats.errors >= 1, 'it did notice the outage');
    await kube.create(Secrets, { metadata: { name: 'after', namespace: ns } });
    await eventually('still watching', () => log.includes('add after'));
    await stop(ac, inf);
  });
});
