/**
 * KubeClient and EventRecorder against a real etcd + kube-apiserver
 * (the dev environment's, src/kube/testing/cluster.ts). Skips when the binaries are not built.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isAlreadyExists, isConflict, KubeApiError, KubeClient, type WatchEvent } from './client.ts';
import { EventRecorder } from './events.ts';
import { ClusterRoleBindings, ClusterRoles, ConfigMaps, Deployments, Events, Namespaces, Secrets, ServiceAccounts, type KubeObject } from './resources.ts';
import { createLogger } from '../util/log.ts';
import { skipReason, startTestCluster, type TestCluster } from './testing/cluster.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface Secret extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
interface CoreEvent extends KubeObject {
  reason: string;
  message: string;
  count: number;
  type: string;
  involvedObject: { kind: string; name: string; uid?: string };
  source?: { component?: string };
}

const skip = skipReason();
const canary = 'CANARY-v4lue-that-must-never-leak';

void describe('KubeClient against a real kube-apiserver', { skip }, () => {
  let cp: TestCluster;
  let kube: KubeClient;
  const ns = 'client-test';

  before(async () => {
    cp = await startTestCluster();
    kube = cp.client();
    await kube.create(Namespaces, { metadata: { name: ns } });
  });
  after(async () => {
    await cp?.stop();
  });

  void test('create, get, list, replace (with optimistic concurrency), patch, delete', async () => {
    const created = await kube.create<ConfigMap>(ConfigMaps, {
      metadata: { name: 'crud', namespace: ns, labels: { app: 'crud' } },
      data: { a: '1' },
    });
    assert.ok(created.metadata.uid);
    assert.equal(created.kind, 'ConfigMap');

    await assert.rejects(
      kube.create<ConfigMap>(ConfigMaps, { metadata: { name: 'crud', namespace: ns } }),
      (err) => isAlreadyExists(err) && (err as KubeApiError).status === 409,
    );

    const got = await kube.get<ConfigMap>(ConfigMaps, 'crud', ns);
    assert.deepEqual(got?.data, { a: '1' });
    assert.equal(await kube.get(ConfigMaps, 'missing', ns), undefined, '404 is undefined, not an error');

    const listed = await kube.list<ConfigMap>(ConfigMaps, { namespace: ns, labelSelector: 'app=crud' });
    assert.deepEqual(
      listed.items.map((i) => [i.metadata.name, i.kind, i.apiVersion]),
      [['crud', 'ConfigMap', 'v1']],
      'list items carry apiVersion/kind like watch objects do',
    );
    assert.ok(Number(listed.metadata.resourceVersion) > 0);

    const replaced = await kube.replace<ConfigMap>(ConfigMaps, { ...created, data: { a: '2' } });
    assert.equal(replaced.data?.a, '2');
    // Writing again from the stale copy must fail instead of overwriting.
    await assert.rejects(kube.replace<ConfigMap>(ConfigMaps, { ...created, data: { a: '3' } }), (err) => {
      assert.ok(isConflict(err));
      assert.equal((err as KubeApiError).code, 'Conflict');
      assert.equal((err as KubeApiError).retryable, true);
      return true;
    });

    const merged = await kube.patch<ConfigMap>(ConfigMaps, 'crud', ns, { data: { b: 'x' } }, 'merge');
    assert.deepEqual(merged.data, { a: '2', b: 'x' });
    const jsonPatched = await kube.patch<ConfigMap>(ConfigMaps, 'crud', ns, [{ op: 'remove', path: '/data/a' }], 'json');
    assert.deepEqual(jsonPatched.data, { b: 'x' });
    const strategic = await kube.patch<ConfigMap>(
      ConfigMaps,
      'crud',
      ns,
      { metadata: { labels: { tier: 'x' } } },
      'strategic',
    );
    assert.deepEqual(strategic.metadata.labels, { app: 'crud', tier: 'x' });

    await assert.rejects(
      kube.delete(ConfigMaps, 'crud', ns, { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }),
      (err) => err instanceof KubeApiError && err.status === 409,
      'a uid precondition that does not match refuses the delete',
    );
    assert.equal(await kube.delete(ConfigMaps, 'crud', ns, { preconditions: { uid: created.metadata.uid } }), true);
    assert.equal(await kube.delete(ConfigMaps, 'crud', ns), false, 'already gone');
    assert.equal(await kube.get(ConfigMaps, 'crud', ns), undefined);
  });

  void test('API errors carry the API message but never the request body', async () => {
    await assert.rejects(
      kube.create<Secret>(Secrets, {
        metadata: { name: 'Invalid_Name', namespace: ns },
        stringData: { key: canary },
      }),
      (err) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.status, 422);
        assert.equal(err.reason, 'Invalid');
        assert.equal(err.code, 'InvalidSpec');
        assert.equal(err.retryable, false);
        assert.match(err.message, /create secrets client-test\/Invalid_Name: .*Invalid_Name/);
        assert.ok(!err.message.includes(canary));
        assert.ok(!JSON.stringify(err.details ?? {}).includes(canary));
        return true;
      },
    );
  });

  void test('server-side apply: fields are owned per field manager; conflicts fail unless forced', async () => {
    const a = await kube.apply<ConfigMap>(
      ConfigMaps,
      { metadata: { name: 'ssa', namespace: ns }, data: { x: '1', z: '1' } },
      { fieldManager: 'manager-a' },
    );
    assert.deepEqual(a.data, { x: '1', z: '1' });
    assert.equal(a.kind, 'ConfigMap', 'apiVersion/kind were filled in from the resource type');

    const b = await kube.apply<ConfigMap>(
      ConfigMaps,
      { metadata: { name: 'ssa', namespace: ns }, data: { y: '2' } },
      { fieldManager: 'manager-b' },
    );
    assert.deepEqual(b.data, { x: '1', y: '2', z: '1' }, "b's apply leaves a's fields alone");

    await assert.rejects(
      kube.apply<ConfigMap>(
        ConfigMaps,
        { metadata: { name: 'ssa', namespace: ns }, data: { x: 'b-wants-this' } },
        { fieldManager: 'manager-b' },
      ),
      (err) => {
        assert.ok(isConflict(err));
        assert.match((err as Error).message, /manager-a/);
        return true;
      },
    );
    const forced = await kube.apply<ConfigMap>(
      ConfigMaps,
      { metadata: { name: 'ssa', namespace: ns }, data: { x: 'b-wants-this' } },
      { fieldManager: 'manager-b', force: true },
    );
    assert.equal(forced.data?.x, 'b-wants-this');
    assert.equal(forced.data?.y, undefined, "b no longer applies y, and only b owned it: it's removed");

    // a drops x and z from its intent: z (only a's) goes away; x stays (now b's).
    const after = await kube.apply<ConfigMap>(
      ConfigMaps,
      { metadata: { name: 'ssa', namespace: ns, labels: { by: 'a' } } },
      { fieldManager: 'manager-a' },
    );
    assert.deepEqual(after.data, { x: 'b-wants-this' });
    const managers = (after.metadata.managedFields as { manager: string; operation: string }[]).map(
      (f) => `${f.manager}:${f.operation}`,
    );
    assert.deepEqual(managers.sort(), ['manager-a:Apply', 'manager-b:Apply']);

    // Applying the object back with its managedFields (as read) must still work.
    const roundTrip = await kube.apply<ConfigMap>(ConfigMaps, after, { fieldManager: 'manager-a', force: true });
    assert.equal(roundTrip.metadata.name, 'ssa');

    // dryRun validates without persisting.
    await kube.apply<ConfigMap>(
      ConfigMaps,
      { metadata: { name: 'ssa', namespace: ns }, data: { x: 'dry' } },
      { fieldManager: 'manager-b', dryRun: true, force: true },
    );
    assert.equal((await kube.get<ConfigMap>(ConfigMaps, 'ssa', ns))?.data?.x, 'b-wants-this');
  });

  void test('metadata-only list and watch of Secrets carry no data', async () => {
    const before = await kube.list(Secrets, { namespace: ns, metadataOnly: true });
    await kube.create<Secret>(Secrets, {
      metadata: { name: 'meta-only', namespace: ns, labels: { l: 'v' } },
      stringData: { password: canary },
    });
    const listed = await kube.list(Secrets, { namespace: ns, metadataOnly: true });
    const item = listed.items.find((i) => i.metadata.name === 'meta-only');
    assert.ok(item);
    assert.equal(item.kind, 'PartialObjectMetadata');
    assert.deepEqual(item.metadata.labels, { l: 'v' });
    assert.ok(listed.items.every((i) => !('data' in i)), 'no data field at all');
    assert.ok(!JSON.stringify(listed).includes(canary));

    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const watching = (async () => {
      for await (const ev of kube.watch(Secrets, {
        namespace: ns,
        resourceVersion: before.metadata.resourceVersion,
        timeoutSeconds: 5,
        allowBookmarks: true,
        metadataOnly: true,
        signal: ac.signal,
      })) {
        events.push(ev);
        if (ev.type === 'ADDED') ac.abort();
      }
    })();
    await assert.rejects(watching, (err: Error) => err.name === 'AbortError');
    assert.equal(events[0]?.type, 'ADDED');
    assert.equal(events[0]?.object.kind, 'PartialObjectMetadata');
    assert.equal(events[0]?.object.metadata?.name, 'meta-only');
    assert.ok(!JSON.stringify(events).includes(canary));
    assert.ok(!('data' in (events[0]?.object ?? {})));
  });

  void test('a watch ends normally at timeoutSeconds and can be resumed from the last resourceVersion', async () => {
    const start = await kube.list(ConfigMaps, { namespace: ns });
    await kube.create<ConfigMap>(ConfigMaps, { metadata: { name: 'w1', namespace: ns } });
    const t0 = Date.now();
    const first: WatchEvent[] = [];
    for await (const ev of kube.watch(ConfigMaps, {
      namespace: ns,
      resourceVersion: start.metadata.resourceVersion,
      timeoutSeconds: 1,
      allowBookmarks: true,
      signal: new AbortController().signal,
    })) {
      first.push(ev);
    }
    assert.ok(Date.now() - t0 < 5000, 'ended by the server');
    const added = first.filter((e) => e.type === 'ADDED');
    assert.deepEqual(
      added.map((e) => (e.object as KubeObject).metadata.name),
      ['w1'],
    );
    const lastEvent = first.at(-1);
    assert.ok(lastEvent && lastEvent.type !== 'ERROR');
    const lastRv = lastEvent.object.metadata.resourceVersion!;
    await kube.create<ConfigMap>(ConfigMaps, { metadata: { name: 'w2', namespace: ns } });
    const second: string[] = [];
    for await (const ev of kube.watch(ConfigMaps, {
      namespace: ns,
      resourceVersion: lastRv,
      timeoutSeconds: 1,
      allowBookmarks: true,
      signal: new AbortController().signal,
    })) {
      if (ev.type === 'ADDED') second.push(ev.object.metadata.name);
    }
    assert.deepEqual(second, ['w2'], 'no replay of w1, and w2 is not missed');
  });

  void test('status subresource: updateStatus and patch/apply to status leave the spec alone', async () => {
    const deployment = {
      metadata: { name: 'st', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'st' } },
        template: { metadata: { labels: { app: 'st' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
    type Deployment = KubeObject & { spec: { replicas: number }; status?: { observedGeneration?: number } };
    const created = await kube.create<Deployment>(Deployments, deployment);
    const withStatus = await kube.updateStatus<Deployment>(Deployments, {
      ...created,
      spec: { ...created.spec, replicas: 5 },
      status: { observedGeneration: 1 },
    });
    assert.equal(withStatus.status?.observedGeneration, 1);
    assert.equal(withStatus.spec.replicas, 1, 'spec changes are ignored on /status');
    const patched = await kube.patch<KubeObject & { status?: { collisionCount?: number } }>(
      Deployments,
      'st',
      ns,
      { status: { collisionCount: 2 } },
      'merge',
      { subresource: 'status' },
    );
    assert.equal(patched.status?.collisionCount, 2);
    const applied = await kube.apply<KubeObject & { status?: { observedGeneration?: number } }>(
      Deployments,
      { metadata: { name: 'st', namespace: ns }, status: { observedGeneration: 7 } },
      { fieldManager: 'status-writer', subresource: 'status', force: true },
    );
    assert.equal(applied.status?.observedGeneration, 7);
  });

  void test('createToken issues a service-account token that authenticates (and is denied by RBAC)', async () => {
    await kube.create(ServiceAccounts, { metadata: { name: 'robot', namespace: ns } });
    const { token, expirationTimestamp } = await kube.createToken('robot', ns, { expirationSeconds: 600 });
    assert.ok(token.split('.').length === 3, 'a JWT');
    assert.ok(Date.parse(expirationTimestamp) > Date.now());
    const asRobot = new KubeClient({
      server: cp.env.apiserverUrl,
      tls: { ca: (await import('node:fs')).readFileSync(cp.env.caFile) },
      authHeaders: () => ({ Authorization: `Bearer ${token}` }),
    });
    try {
      await assert.rejects(asRobot.list(Secrets, { namespace: ns }), (err) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.status, 403);
        assert.equal(err.reason, 'Forbidden');
        assert.equal(err.code, 'AccessDenied');
        assert.match(err.message, /system:serviceaccount:client-test:robot/);
        assert.ok(!err.message.includes(token), 'the credential is not echoed');
        return true;
      });
    } finally {
      asRobot.close();
    }
  });

  void test('kubeconfig with an exec credential plugin: the plugin runs again once its token expires', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    // The dev cluster's admin authenticates with a client certificate; the plugin hands out a
    // token of a service account that may read namespaces.
    await kube.create(ServiceAccounts, { metadata: { name: 'exec-robot', namespace: ns } });
    await kube.create(ClusterRoles, { metadata: { name: 'exec-robot' }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }] });
    await kube.create(ClusterRoleBindings, {
      metadata: { name: 'exec-robot' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'exec-robot' },
      subjects: [{ kind: 'ServiceAccount', name: 'exec-robot', namespace: ns }],
    });
    const { token } = await kube.createToken('exec-robot', ns, { expirationSeconds: 600 });
    const cfg = JSON.parse(readFileSync(cp.env.kubeconfig, 'utf8')) as { users: { user: object }[] };
    const calls = `${cp.env.stateDir}/exec-calls`;
    const plugin = `${cp.env.stateDir}/exec-plugin.sh`;
    // Hands out that token marked as already expired, so every request asks again.
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> ${calls}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",` +
        `"status":{"token":"${token}","expirationTimestamp":"2000-01-01T00:00:00Z"}}'\n`,
      { mode: 0o755 },
    );
    cfg.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } };
    const file = `${cp.env.stateDir}/kubeconfig-exec`;
    writeFileSync(file, JSON.stringify(cfg));
    const viaExec = KubeClient.fromKubeconfig(file);
    try {
      assert.equal(viaExec.defaultNamespace, 'default');
      await viaExec.list(Namespaces);
      await viaExec.get(Namespaces, ns);
      assert.equal(readFileSync(calls, 'utf8').split('\n').filter(Boolean).length, 2, 'auth is applied per request');
    } finally {
      viaExec.close();
    }
  });

  void test('events: repeats are aggregated into one Event with a count; the per-object limit drops the excess', async () => {
    const subject = await kube.create<ConfigMap>(ConfigMaps, { metadata: { name: 'evt', namespace: ns } });
    const logs: string[] = [];
    const recorder = new EventRecorder(kube, {
      component: 'hush-test',
      burst: 4,
      refillMs: 3_600_000,
      logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    });
    const target = { ...subject, apiVersion: 'v1', kind: 'ConfigMap' };
    recorder.record(target, 'Normal', 'Synced', 'synced 3 keys');
    recorder.record(target, 'Normal', 'Synced', 'synced 3 keys');
    await recorder.flush();
    recorder.record(target, 'Normal', 'Synced', 'synced 3 keys');
    recorder.record(target, 'Warning', 'SyncFailed', 'store unreachable');
    await recorder.flush();
    // Burst of 4 is spent (3 writes went out: the 2nd record was folded into the 1st).
    recorder.record(target, 'Warning', 'Other', 'one more');
    recorder.record(target, 'Warning', 'Dropped', 'over the limit');
    await recorder.flush();

    const events = (await kube.list<CoreEvent>(Events, { namespace: ns, fieldSelector: 'involvedObject.name=evt' })).items;
    const byReason = Object.fromEntries(events.map((e) => [e.reason, e]));
    assert.deepEqual(Object.keys(byReason).sort(), ['Other', 'SyncFailed', 'Synced'], logs.join(''));
    assert.equal(byReason.Synced!.count, 3);
    assert.equal(byReason.Synced!.type, 'Normal');
    assert.equal(byReason.Synced!.involvedObject.uid, subject.metadata.uid);
    assert.equal(byReason.Synced!.source?.component, 'hush-test');
    assert.equal(byReason.SyncFailed!.type, 'Warning');
    assert.equal(byReason.SyncFailed!.count, 1);
  });

  void test('events: record() never throws, even when the API rejects the event', async () => {
    const logs: string[] = [];
    const recorder = new EventRecorder(kube, {
      component: 'hush-test',
      logger: createLogger({ write: (l) => logs.push(l) }),
    });
    // Namespace that does not exist: the create fails server-side.
    recorder.record(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ghost', namespace: 'no-such-namespace' } },
      'Warning',
      'Nope',
      'x',
    );
    await recorder.flush();
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /could not write event.*namespaces \\"no-such-namespace\\" not found/);
  });
});
