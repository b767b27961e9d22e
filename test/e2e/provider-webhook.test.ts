/**
 * The webhook provider through the real controller and kube-apiserver,
 * against a real HTTP secrets API on loopback
 * (src/providers/webhook/testing/server.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupCreated, ExternalSecrets, SecretStores, Secrets, createNamespace, getEs, getSecret, harness, readyOf, secretStrings, startController, waitReady, type Harness, type RunningController } from '../support/harness.ts';
import { waitFor } from '../support/index.ts';
import { startSecretsApi, type SecretsApi } from '../../src/providers/webhook/testing/server.ts';

const TOKEN = 'webhook-e2e-token-5d1e';

let h: Harness;
let ctl: RunningController;
let api: SecretsApi;

before(async () => {
  api = await startSecretsApi();
  api.token = TOKEN;
  h = await harness();
  ctl = await startController(h);
});

after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
    await api?.stop();
  }
});

/** A namespace with a webhook SecretStore "hook" whose bearer token comes from a Secret. */
async function store(): Promise<string> {
  const ns = await createNamespace(h.kube, 'hook');
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-creds', namespace: ns, labels: { 'external-secrets.io/type': 'webhook' } }, stringData: { token: TOKEN } } as never);
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'hook', namespace: ns },
    spec: {
      provider: {
        webhook: {
          url: `${api.url}/secrets/{{ .remoteRef.key }}`,
          headers: { Authorization: 'Bearer {{ .creds.token }}' },
          result: { jsonPath: '$.data' },
          secrets: [{ name: 'creds', secretRef: { name: 'api-creds' } }],
          timeout: '5s',
        },
      },
    },
  } as never);
  await waitReady(h.kube, SecretStores, ns, 'hook');
  return ns;
}

async function es(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: 'hook', kind: 'SecretStore' }, ...spec },
  } as never);
}

async function forceSync(ns: string, name: string): Promise<void> {
  await h.kube.patch(ExternalSecrets, name, ns, { metadata: { annotations: { 'external-secrets.io/force-sync': String(Date.now()) } } }, 'merge');
}

test('sync: values, extract, rewrite and decoding through URL and header templates', async () => {
  const ns = await store();
  api.values.set(`${ns}-user`, 'alice');
  api.values.set(`${ns}-b64`, Buffer.from('decoded!').toString('base64'));
  api.values.set(`${ns}-cfg`, { HOST: 'db.local', PORT: 5432, TLS: true });
  const before = ctl.metrics.providerCalls.get({ provider: 'Webhook', call: 'HTTPRequest', status: 'success' });
  await es(ns, 'app', {
    data: [
      { secretKey: 'user', remoteRef: { key: `${ns}-user` } },
      { secretKey: 'decoded', remoteRef: { key: `${ns}-b64`, decodingStrategy: 'Base64' } },
    ],
    dataFrom: [{ extract: { key: `${ns}-cfg` }, rewrite: [{ regexp: { source: '^(.*)$', target: 'DB_$1' } }] }],
  });
  const ready = await waitReady(h.kube, ExternalSecrets, ns, 'app');
  assert.equal(readyOf(ready)?.reason, 'SecretSynced');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app')), { user: 'alice', decoded: 'decoded!', DB_HOST: 'db.local', DB_PORT: '5432', DB_TLS: 'true' });
  assert.ok(ctl.metrics.providerCalls.get({ provider: 'Webhook', call: 'HTTPRequest', status: 'success' }) >= before + 3);
  assert.ok(api.seen.some((r) => r.headers.authorization === `Bearer ${TOKEN}`), 'the header template got the token from the Secret');

  api.values.set(`${ns}-user`, 'bob');
  await forceSync(ns, 'app');
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'app')).user === 'bob', { timeoutMs: 10_000, message: 'changed value synced' });
});

test('a missing key gives Ready=False with the endpoint’s answer, and the Secret keeps its data', async () => {
  const ns = await store();
  api.values.set(`${ns}-k`, 'kept');
  await es(ns, 'keep', { data: [{ secretKey: 'k', remoteRef: { key: `${ns}-k` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'keep');
  api.values.delete(`${ns}-k`);
  await forceSync(ns, 'keep');
  const failed = await waitReady(h.kube, ExternalSecrets, ns, 'keep', 'False');
  assert.match(readyOf(failed)?.message ?? '', /secret not found \(endpoint answered 404 Not Found\)/);
  assert.doesNotMatch(readyOf(failed)?.message ?? '', new RegExp(TOKEN));
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'keep')), { k: 'kept' });

  await es(ns, 'find', { dataFrom: [{ find: { name: { regexp: '.*' } } }] });
  const noFind = await waitReady(h.kube, ExternalSecrets, ns, 'find', 'False');
  assert.match(readyOf(noFind)?.message ?? '', /find is not supported by the webhook provider/);
});

test('deletionPolicy Delete removes the Secret when the endpoint has nothing; Retain keeps it', async () => {
  const ns = await store();
  api.values.set(`${ns}-gone`, { v: '1' });
  await es(ns, 'del', { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: { key: `${ns}-gone` } }] });
  await es(ns, 'ret', { target: { deletionPolicy: 'Retain' }, data: [{ secretKey: 'v', remoteRef: { key: `${ns}-gone` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'del');
  await waitReady(h.kube, ExternalSecrets, ns, 'ret');
  api.values.delete(`${ns}-gone`);
  await forceSync(ns, 'del');
  await forceSync(ns, 'ret');
  await waitFor(async () => (await getSecret(h.kube, ns, 'del')) === undefined, { timeoutMs: 10_000, message: 'Delete policy removed the Secret' });
  await waitFor(async () => readyOf(await getEs(h.kube, ns, 'ret'))?.status === 'False', { timeoutMs: 10_000, message: 'Retain reports the miss' });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ret')), { v: '{"v":"1"}' });
});

test('a wrong token in the referenced Secret is an auth failure naming the endpoint status', async () => {
  const ns = await store();
  await h.kube.patch(Secrets, 'api-creds', ns, { stringData: { token: 'wrong-token-value' } }, 'merge');
  api.values.set(`${ns}-x`, 'x');
  await es(ns, 'bad', { data: [{ secretKey: 'x', remoteRef: { key: `${ns}-x` } }] });
  const failed = await waitReady(h.kube, ExternalSecrets, ns, 'bad', 'False');
  assert.match(readyOf(failed)?.message ?? '', /endpoint gave error 401 Unauthorized/);
  assert.doesNotMatch(readyOf(failed)?.message ?? '', /wrong-token-value/);
});
