/**
 * The kubernetes provider against the real dev kube-apiserver: a store that
 * reads Secrets of another namespace with its own credentials (token, service
 * account, client certificate, kubeconfig).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { kubeCall, type DevEnv } from '../../devenv/index.ts';
import type { ChangeFeed, StoreClient } from '../types.ts';
import { rawRefKey, rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import { DevEnvKube, devEnvSkipReason, loadDevEnv } from '../util/testing/devenvKube.ts';
import { testStoreContext, type CallLog } from '../util/testing/memoryKube.ts';
import { kubernetesProvider } from './provider.ts';
import { resolveConnection } from './auth.ts';
import { KubernetesStoreClient } from './client.ts';
import { parseKubernetesSpec } from './spec.ts';
import { HttpClient } from '../util/http.ts';

const CANARY = 'CANARY-k8s-9d21ab';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const obj = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));

void describe('kubernetes provider against a real kube-apiserver', { skip: devEnvSkipReason }, () => {
  let env: DevEnv;
  let kube: DevEnvKube;
  const ns = `hush-kp-${randomBytes(3).toString('hex')}`;
  const clients: StoreClient[] = [];
  let caBundle: string;

  const connect = async (spec: Record<string, unknown>): Promise<{ client: StoreClient; log: CallLog }> => {
    const { ctx, log } = testStoreContext({ spec: { remoteNamespace: ns, ...spec }, kube, namespace: ns });
    const client = await kubernetesProvider.connect(ctx);
    clients.push(client);
    return { client, log };
  };
  const tokenAuth = (name: string): Record<string, unknown> => ({
    server: { url: env.apiserverUrl, caBundle },
    auth: { token: { bearerToken: { name, key: 'token' } } },
  });

  before(async () => {
    env = await loadDevEnv();
    kube = new DevEnvKube(env);
    caBundle = b64(readFileSync(env.caFile, 'utf8'));
    await kube.apply('/api/v1/namespaces', { metadata: { name: ns } });
    const secret = (name: string, data: Record<string, string>, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) =>
      kube.apply(`/api/v1/namespaces/${ns}/secrets`, {
        metadata: { name, labels, annotations },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
      } as { metadata: { name: string } });
    await secret('db', { user: 'admin', password: CANARY, 'config.json': '{"a":{"b":"deep"},"n":1.50}', html: '<&>' }, { team: 'a' }, { note: '{"x":"y"}' });
    await secret('db-replica', { user: 'ro' }, { team: 'b' });
    await secret('api', { key: 'k1' }, { team: 'a' });
    await secret('structured', { cfg: '{"a":{"b":"deep"},"list":[1,2]}' });
    for (const sa of ['reader', 'nobody', 'watcher']) await kube.apply(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: sa } });
    await kube.apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    } as { metadata: { name: string } });
    await kube.apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    } as { metadata: { name: string } });
    // The change feed needs `watch` besides get/list; `reader` lacks it.
    await kube.apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'secret-watcher' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }],
    } as { metadata: { name: string } });
    await kube.apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'watcher' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-watcher' },
      subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace: ns }],
    } as { metadata: { name: string } });
    for (const sa of ['reader', 'nobody', 'watcher']) {
      const t = await kube.createServiceAccountToken({ name: sa, namespace: ns, expirationSeconds: 3600 });
      await secret(`${sa}-token`, { token: t.token });
    }
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'current-context: remote',
      'contexts: [{name: remote, context: {cluster: c, user: u}}]',
      `clusters: [{name: c, cluster: {server: "${env.apiserverUrl}", certificate-authority-data: ${caBundle}}}]`,
      `users: [{name: u, user: {token: "${text(await kube.readSecretKey({ name: 'reader-token', key: 'token', namespace: ns }))}"}}]`,
    ].join('\n');
    await secret('kubeconfig', { value: kubeconfig });
    await secret('admin-cert', { 'tls.crt': readFileSync(env.adminCertFile, 'utf8'), 'tls.key': readFileSync(env.adminKeyFile, 'utf8') });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (env) await kubeCall(env, 'DELETE', `/api/v1/namespaces/${ns}`);
  });

  void it('reads a whole Secret as JSON of its data, and single keys', async () => {
    const { client, log } = await connect(tokenAuth('reader-token'));
    assert.equal(
      text(await readValue(client, { key: 'db' }, signal)),
      `{"config.json":"{\\"a\\":{\\"b\\":\\"deep\\"},\\"n\\":1.50}","html":"<&>","password":"${CANARY}","user":"admin"}`,
    );
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
    assert.equal(text(await readValue(client, { key: 'db', property: 'config.json' }, signal)), '{"a":{"b":"deep"},"n":1.50}');
    assert.equal(log.count('GetSecret', 'success'), 3);
  });

  void it('reads two properties of one Secret with one GET: one raw read, projected twice', async () => {
    const { client, log } = await connect(tokenAuth('reader-token'));
    const user = { key: 'db', property: 'user' };
    const html = { key: 'db', property: 'html' };
    assert.equal(rawRefKey(rawRefOf(client, user)), rawRefKey(rawRefOf(client, html)));
    const raw = await client.read(rawRefOf(client, user), signal);
    assert.equal(text(client.projection.value(raw, user)), 'admin');
    assert.equal(text(client.projection.value(raw, html)), '<&>');
    // Fetch reads the same Secret: its labels come from the same answer.
    assert.equal(text(client.projection.value(raw, { key: 'db', property: 'labels.team', metadataPolicy: 'Fetch' })), 'a');
    assert.equal(log.count('GetSecret'), 1);
  });

  void it("gives the Secret's resourceVersion as the version marker; an update moves it", async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    const put = (v: string) => kube.apply(`/api/v1/namespaces/${ns}/secrets`, { metadata: { name: 'versioned' }, data: { v: b64(v) } } as { metadata: { name: string } });
    const serverVersion = async (): Promise<string> => {
      const r = await kubeCall(env, 'GET', `/api/v1/namespaces/${ns}/secrets/versioned`);
      return (r.json as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    };
    await put('one');
    const first = await client.read({ key: 'versioned' }, signal);
    assert.equal(first.version, await serverVersion());
    await put('two');
    const second = await client.read({ key: 'versioned' }, signal);
    assert.equal(second.version, await serverVersion());
    assert.notEqual(second.version, first.version);
    assert.equal(text(client.projection.value(second, { key: 'versioned', property: 'v' })), 'two');
  });

  void it('projects purely: the same raw Secret gives the same bytes twice and is left as it was', async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    const raw = await client.read({ key: 'db' }, signal);
    const snapshot = (): string => JSON.stringify(raw, (_k, v: unknown) => (v instanceof Map ? obj(v as Map<string, Uint8Array>) : v));
    const before = snapshot();
    const ref = { key: 'db', property: 'user' };
    const first = client.projection.value(raw, ref);
    first.fill(0); // a reader scribbling on its answer must not reach the next reader
    assert.equal(text(client.projection.value(raw, ref)), 'admin');
    assert.deepEqual(client.projection.value(raw, { key: 'db' }), client.projection.value(raw, { key: 'db' }));
    const m = client.projection.map(raw, { key: 'db' });
    m.delete('user');
    (m.get('password') as Uint8Array).fill(0);
    assert.equal(obj(client.projection.map(raw, { key: 'db' })).password, CANARY);
    assert.equal(snapshot(), before);
  });

  void it('reads into a JSON key with <key>.<path>', async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    assert.equal(text(await readValue(client, { key: 'structured', property: 'cfg.a.b' }, signal)), 'deep');
    assert.equal(text(await readValue(client, { key: 'structured', property: 'cfg.list.1' }, signal)), '2');
    await assert.rejects(readValue(client, { key: 'db', property: 'user.x' }, signal), { code: 'PropertyNotFound' });
  });

  void it('fetches labels and annotations with metadataPolicy Fetch', async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    assert.equal(text(await readValue(client, { key: 'db', metadataPolicy: 'Fetch' }, signal)), '{"annotations":{"note":"{\\"x\\":\\"y\\"}"},"labels":{"team":"a"}}');
    assert.equal(text(await readValue(client, { key: 'db', property: 'labels.team', metadataPolicy: 'Fetch' }, signal)), 'a');
    assert.equal(text(await readValue(client, { key: 'db', property: 'annotations.note.x', metadataPolicy: 'Fetch' }, signal)), 'y');
    assert.deepEqual(obj(await readMap(client, { key: 'db', metadataPolicy: 'Fetch' }, signal)), {
      labels: '{"team":"a"}',
      annotations: '{"note":"{\\"x\\":\\"y\\"}"}',
    });
  });

  void it('extracts a Secret into its keys, or a JSON key into quoted JSON values (as ESO does)', async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    assert.deepEqual(obj(await readMap(client, { key: 'db-replica' }, signal)), { user: 'ro' });
    assert.deepEqual(obj(await readMap(client, { key: 'db', property: 'config.json' }, signal)), { a: '{"b":"deep"}', n: '1.5' });
  });

  void it('finds Secrets by name regexp and by label (tags)', async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    assert.deepEqual(Object.keys(obj(await client.findSecrets({ name: { regexp: '^db' } }, signal))).sort(), ['db', 'db-replica']);
    const byTag = await client.findSecrets({ tags: { team: 'a' } }, signal);
    assert.deepEqual([...byTag.keys()].sort(), ['api', 'db']);
    assert.equal(text(byTag.get('api') as Uint8Array), '{"key":"k1"}');
  });

  void it('answers NotFound for a missing Secret', async () => {
    const { client } = await connect(tokenAuth('reader-token'));
    await assert.rejects(readValue(client, { key: 'missing' }, signal), { code: 'NotFound' });
  });

  void it('validates: Ready for a reader, Error for an identity without access', async () => {
    assert.equal((await (await connect(tokenAuth('reader-token'))).client.validate(signal)).state, 'Ready');
    const denied = await (await connect(tokenAuth('nobody-token'))).client.validate(signal);
    assert.equal(denied.state, 'Error');
    assert.match(denied.message, /not allowed to get secrets/);
    await assert.rejects(readValue((await connect(tokenAuth('nobody-token'))).client, { key: 'db' }, signal), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AccessDenied');
      assert.ok(!e.message.includes(CANARY));
      return true;
    });
  });

  void it('authenticates with a ServiceAccount token from TokenRequest, on the default cluster server', async () => {
    const { client } = await connect({ server: { caBundle }, auth: { serviceAccount: { name: 'reader' } } });
    assert.equal(text(await readValue(client, { key: 'db', property: 'user' }, signal)), 'admin');
  });

  void it('authenticates with a client certificate', async () => {
    const { client } = await connect({
      server: { url: env.apiserverUrl, caBundle },
      auth: { cert: { clientCert: { name: 'admin-cert', key: 'tls.crt' }, clientKey: { name: 'admin-cert', key: 'tls.key' } } },
    });
    assert.equal(text(await readValue(client, { key: 'api', property: 'key' }, signal)), 'k1');
  });

  void it('connects with a kubeconfig from a Secret (authRef)', async () => {
    const { client } = await connect({ authRef: { name: 'kubeconfig', key: 'value' } });
    assert.equal(text(await readValue(client, { key: 'api', property: 'key' }, signal)), 'k1');
  });

  void it('explains an untrusted server certificate', async () => {
    const { client } = await connect({ server: { url: env.apiserverUrl }, auth: { token: { bearerToken: { name: 'reader-token', key: 'token' } } } });
    await assert.rejects(readValue(client, { key: 'db' }, signal), { code: 'InvalidConfig' });
  });
  // --- change feed: a WATCH on the namespace's Secrets -------------------------

  /** One subscription's record: every onChange key and the error, if any. */
  interface Feed {
    keys: string[];
    error: (Error & { code?: string }) | undefined;
    stop: () => void;
  }
  const subscribe = (client: StoreClient): Feed => {
    const feedApi = client.changes;
    assert.equal(typeof feedApi?.subscribe, 'function', 'the kubernetes client has a push feed');
    assert.equal(feedApi?.poll, undefined, 'and no poll: a poll would cost a GET per Secret, like the read');
    const f: Feed = { keys: [], error: undefined, stop: () => undefined };
    f.stop = (feedApi as Required<ChangeFeed>).subscribe({ onChange: (keys) => f.keys.push(...keys), onError: (err) => (f.error = err) });
    return f;
  };
  const put = (name: string, data: Record<string, string>, annotations: Record<string, string> = {}) =>
    kube.apply(`/api/v1/namespaces/${ns}/secrets`, {
      metadata: { name, annotations },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    } as { metadata: { name: string } });
  const until = async (what: string, ok: () => boolean, ms = 10_000): Promise<number> => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
      await sleep(50);
    }
    return Date.now() - t0;
  };
  /** Writes a warm-up Secret until every feed reports it: the watches are open from here on. */
  const warm = async (...feeds: Feed[]): Promise<void> => {
    const name = `warm-${randomBytes(3).toString('hex')}`;
    for (let i = 0; !feeds.every((f) => f.keys.includes(name)); i++) {
      for (const f of feeds) assert.equal(f.error, undefined, `feed failed while warming up: ${f.error?.message}`);
      assert.ok(i < 100, 'the watches never reported the warm-up write');
      await put(name, { i: String(i) });
      await sleep(100);
    }
  };
  /** Namespace-scoped WATCHes of Secrets the API server is serving right now (its own gauge). */
  const openWatches = async (): Promise<number> => {
    const r = await kubeCall(env, 'GET', '/metrics');
    const m = /^apiserver_longrunning_requests\{[^}]*resource="secrets",scope="namespace"[^}]*verb="WATCH"[^}]*\} (\d+)$/m.exec(r.text);
    return m ? Number(m[1]) : 0;
  };

  void it('feed: a write, an update and a delete of a Secret are reported within seconds, after one list and one watch', async () => {
    const { client, log } = await connect(tokenAuth('watcher-token'));
    const f = subscribe(client);
    await warm(f);
    f.keys.length = 0;
    await put('fed', { v: 'one' });
    assert.ok((await until('onChange for the new Secret', () => f.keys.includes('fed'))) < 20_000);
    f.keys.length = 0;
    await put('fed', { v: 'two' });
    await until('onChange for the update', () => f.keys.includes('fed'), 5000);
    f.keys.length = 0;
    await kubeCall(env, 'DELETE', `/api/v1/namespaces/${ns}/secrets/fed`);
    await until('onChange for the delete', () => f.keys.includes('fed'), 5000);
    assert.equal(f.error, undefined);
    // The marker story: a read after the event sees the new resourceVersion (the engine reads on the event).
    await put('fed', { v: 'three' });
    await until('onChange for the re-create', () => f.keys.includes('fed'), 5000);
    assert.equal(text(await readValue(client, { key: 'fed', property: 'v' }, signal)), 'three');
    assert.equal(log.count('ListSecrets', 'success'), 1);
    assert.equal(log.count('WatchSecrets', 'success'), 1);
    assert.equal(log.count('WatchSecrets', 'error'), 0);
    f.stop();
  });

  void it('feed: stop() ends the watch on the server and no callback follows; another feed still sees the write', async () => {
    const before = await openWatches();
    const a = subscribe((await connect(tokenAuth('watcher-token'))).client);
    const { client: bClient } = await connect(tokenAuth('watcher-token'));
    const b = subscribe(bClient);
    await warm(a, b);
    assert.equal(await openWatches(), before + 2);
    a.stop();
    let aDropped = false;
    for (let i = 0; i < 100 && !aDropped; i++) {
      aDropped = (await openWatches()) === before + 1;
      if (!aDropped) await sleep(100);
    }
    assert.ok(aDropped, 'the stopped watch is still open on the API server');
    const seenByA = a.keys.length;
    await put('after-stop', { v: '1' });
    await until('the still-subscribed feed to see the write', () => b.keys.includes('after-stop'));
    assert.equal(a.keys.length, seenByA, 'a stopped feed called onChange');
    assert.equal(a.error, undefined, 'a stopped feed called onError');
    // close() stops the feeds the client still has.
    await bClient.close();
    for (let i = 0; i < 100 && (await openWatches()) !== before; i++) await sleep(100);
    assert.equal(await openWatches(), before);
    assert.equal(b.error, undefined, 'a feed ended by close() is stopped, not failed');
  });

  void it('feed: an identity that may list but not watch gets onError (AccessDenied), once', async () => {
    const { client, log } = await connect(tokenAuth('reader-token'));
    const f = subscribe(client);
    await until('onError', () => f.error !== undefined);
    assert.equal(f.error?.code, 'AccessDenied');
    assert.match(f.error?.message ?? '', /watch secrets in namespace/);
    assert.equal(log.count('ListSecrets', 'success'), 1);
    assert.equal(log.count('WatchSecrets', 'error'), 1);
    const nobody = subscribe((await connect(tokenAuth('nobody-token'))).client);
    await until('onError for an identity that may not even list', () => nobody.error !== undefined);
    assert.equal(nobody.error?.code, 'AccessDenied');
    assert.deepEqual([...f.keys, ...nobody.keys], []);
  });

  void it('feed: an event larger than the answer limit ends the feed (InvalidData) instead of being buffered', async () => {
    const { ctx } = testStoreContext({ spec: { remoteNamespace: ns, ...tokenAuth('watcher-token') }, kube, namespace: ns, maxResponseBytes: 4096 });
    const client = await kubernetesProvider.connect(ctx);
    clients.push(client);
    const f = subscribe(client);
    await warm(f);
    // Metadata only crosses the wire, so the value's size does not count; a big annotation does.
    await put('bulky', { v: 'x' }, { big: 'y'.repeat(8000) });
    await until('onError', () => f.error !== undefined);
    assert.equal(f.error?.code, 'InvalidData');
    assert.match(f.error?.message ?? '', /larger than 4096 bytes/);
    assert.ok(!f.keys.includes('bulky'));
  });

  void it('feed: events carry no values (metadata only): a 20 KiB value fits a 4 KiB event limit', async () => {
    const { ctx } = testStoreContext({ spec: { remoteNamespace: ns, ...tokenAuth('watcher-token') }, kube, namespace: ns, maxResponseBytes: 4096 });
    const client = await kubernetesProvider.connect(ctx);
    clients.push(client);
    const f = subscribe(client);
    await warm(f);
    await put('roomy', { v: CANARY + 'z'.repeat(20_000) });
    await until('onChange for a Secret whose value is far over the event limit', () => f.keys.includes('roomy'));
    assert.equal(f.error, undefined);
    f.stop();
  });
  void it('feed: a watch the server ends in due course is opened again from the last resourceVersion, without onError or a new list', async () => {
    // The store's client as provider.connect builds it, with 2 s server-side watches instead of 5 min.
    const { ctx, log } = testStoreContext({ spec: { remoteNamespace: ns, ...tokenAuth('watcher-token') }, kube, namespace: ns });
    const { spec } = parseKubernetesSpec(ctx.spec, ctx.storeKind);
    assert.ok(spec);
    const conn = await resolveConnection(kube, { storeKind: ctx.storeKind, namespace: ns }, spec);
    const http = new HttpClient(conn.url, { ca: conn.ca, egress: ctx.egress });
    const client = new KubernetesStoreClient({ http, conn, remoteNamespace: ns, recordCall: ctx.recordCall.bind(ctx), referentUnresolved: false, watchSeconds: 2 });
    clients.push(client);
    const f = subscribe(client);
    await warm(f);
    // Written while the first watch is still open, then again after the server has ended it twice.
    await put('resumed', { v: '1' });
    await until('the server to end two watches', () => log.count('WatchSecrets', 'success') >= 3, 15_000);
    await put('resumed', { v: '2' });
    await until('both writes of the Secret reported', () => f.keys.filter((k) => k === 'resumed').length >= 2);
    f.keys.length = 0;
    await put('resumed-too', { v: '1' });
    await until('onChange after the re-opened watches', () => f.keys.includes('resumed-too'));
    assert.equal(f.error, undefined);
    assert.equal(log.count('ListSecrets'), 1, 'going on needs no new list');
    f.stop();
  });
});
