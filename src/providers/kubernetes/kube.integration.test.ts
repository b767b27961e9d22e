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
import type { StoreClient } from '../types.ts';
import { rawRefKey, rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import { DevEnvKube, devEnvSkipReason, loadDevEnv } from '../util/testing/devenvKube.ts';
import { testStoreContext, type CallLog } from '../util/testing/memoryKube.ts';
import { kubernetesProvider } from './provider.ts';

const CANARY = 'CANARY-k8s-9d21ab';
const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
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
    for (const sa of ['reader', 'nobody']) await kube.apply(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: sa } });
    await kube.apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    } as { metadata: { name: string } });
    await kube.apply(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    } as { metadata: { name: string } });
    for (const sa of ['reader', 'nobody']) {
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
});
