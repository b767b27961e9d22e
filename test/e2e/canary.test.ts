/**
 * A canary secret value, pushed through success and failure paths, must not
 * appear in any log line, event, status or metric. Also checks the refresh
 * policies, because they decide how often values are read.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ExternalSecrets, Secrets, createNamespace, createVaultTokenStore, getEs, getSecret, harness, putVaultKv2, readyOf, secretStrings, startController, uniqueName, waitReady, type Harness, type RunningController } from './harness.ts';
import { SecretStores } from '../../src/controllers/resources.ts';
import { Events } from '../../src/kube/resources.ts';
import { waitFor } from '../support/index.ts';
import { esoHashOracle, esoHashes } from '../../src/controllers/externalsecret/testing/esoHash.ts';

let h: Harness;
let ctl: RunningController;
before(async () => {
  h = await harness();
  ctl = await startController(h);
});
after(async () => {
  await ctl?.stop();
});

async function es(ns: string, name: string, spec: Record<string, unknown>) {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: ns },
    spec: { secretStoreRef: { name: 'vault' }, ...spec },
  } as never);
}

test('a canary secret value never reaches logs, events, status or metrics', async () => {
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const forms = [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')];
  const ns = await createNamespace(h.kube);
  const p = uniqueName('canary');
  await putVaultKv2(h.env, `${p}/plain`, { password: canary, json: `{"x": "${canary}"` });
  await putVaultKv2(h.env, `${p}/keyed`, { [`key-${canary}`]: 'v' });
  await createVaultTokenStore(h, ns);
  await waitReady(h.kube, SecretStores, ns, 'vault');
  await es(ns, 'ok', { data: [{ secretKey: 'password', remoteRef: { key: `${p}/plain`, property: 'password' } }] });
  await es(ns, 'bad-b64', { data: [{ secretKey: 'password', remoteRef: { key: `${p}/plain`, property: 'password', decodingStrategy: 'Base64' } }] });
  await es(ns, 'bad-json', { data: [{ secretKey: 'x', remoteRef: { key: `${p}/plain`, property: 'json.x' } }] });
  await es(ns, 'bad-extract', { data: [{ secretKey: 'x', remoteRef: { key: `${p}/plain`, property: 'password' } }], dataFrom: [{ extract: { key: `${p}/plain`, property: 'password' } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'ok');
  assert.equal(secretStrings(await getSecret(h.kube, ns, 'ok')).password, canary);
  for (const name of ['bad-b64', 'bad-json', 'bad-extract']) await waitReady(h.kube, ExternalSecrets, ns, name, 'False');
  // Let events and retries happen.
  await new Promise((r) => setTimeout(r, 1500));

  const statuses = JSON.stringify(await h.kube.list(ExternalSecrets, { namespace: ns }));
  const events = JSON.stringify(await h.kube.list(Events, { namespace: ns }));
  const stores = JSON.stringify(await h.kube.list(SecretStores, { namespace: ns }));
  const logs = ctl.logs.join('');
  const metrics = ctl.metrics.registry.render();
  assert.ok(logs.length > 0 && events.includes('UpdateFailed'), 'the failure paths ran');
  for (const form of forms) {
    assert.ok(!logs.includes(form), 'canary in logs');
    assert.ok(!events.includes(form), 'canary in events');
    assert.ok(!statuses.includes(form), 'canary in ExternalSecret status');
    assert.ok(!stores.includes(form), 'canary in store status');
    assert.ok(!metrics.includes(form), 'canary in metrics');
  }
});

test('refreshInterval 0 syncs once; CreatedOnce never refreshes; a periodic ExternalSecret follows the store', async () => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('refresh');
  await putVaultKv2(h.env, `${p}/k`, { v: 'one' });
  await createVaultTokenStore(h, ns);
  await waitReady(h.kube, SecretStores, ns, 'vault');
  const ref = { secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } };
  await es(ns, 'once', { refreshInterval: '0', data: [ref] });
  await es(ns, 'created', { refreshInterval: '1s', refreshPolicy: 'CreatedOnce', data: [ref] });
  await es(ns, 'periodic', { refreshInterval: '1s', data: [ref] });
  for (const n of ['once', 'created', 'periodic']) await waitReady(h.kube, ExternalSecrets, ns, n);
  await putVaultKv2(h.env, `${p}/k`, { v: 'two' });
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'periodic')).v === 'two', { timeoutMs: 10_000, message: 'periodic refresh' });
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(secretStrings(await getSecret(h.kube, ns, 'once')).v, 'one');
  assert.equal(secretStrings(await getSecret(h.kube, ns, 'created')).v, 'one');
  // A spec change re-syncs even with refreshInterval 0 (ESO ignores it; users expect it).
  await h.kube.patch(ExternalSecrets, 'once', ns, { spec: { data: [{ ...ref, secretKey: 'w' }] } }, 'merge');
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'once')).w === 'two', { timeoutMs: 10_000, message: 'spec change re-syncs' });
  const once = await getEs(h.kube, ns, 'once');
  assert.equal(readyOf(once)?.status, 'True');
  assert.match(once?.status?.syncedResourceVersion ?? '', /^2-/);
});

test('a Secret created by ESO is adopted without a rewrite', async (t) => {
  const ns = await createNamespace(h.kube);
  const p = uniqueName('adopt');
  await putVaultKv2(h.env, `${p}/k`, { v: 'same' });
  await createVaultTokenStore(h, ns);
  await waitReady(h.kube, SecretStores, ns, 'vault');
  // What ESO leaves behind: the managed label and its data hash, computed by Go
  // as ESO computes it (tools/eso-hash-oracle), not by Hush.
  const oracle = esoHashOracle();
  if (oracle.path === undefined) return t.skip(oracle.skip);
  const hash = esoHashes(oracle.path, [{ kind: 'data', data: { v: new TextEncoder().encode('same') } }])[0]!.hash;
  await h.kube.create(Secrets, {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: 'adopted', namespace: ns, labels: { 'reconcile.external-secrets.io/managed': 'true' }, annotations: { 'reconcile.external-secrets.io/data-hash': hash } },
    data: { v: Buffer.from('same').toString('base64') },
  } as never);
  const before = await getSecret(h.kube, ns, 'adopted');
  await es(ns, 'adopted', { refreshInterval: '1h', target: { creationPolicy: 'Orphan' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'adopted');
  const after = await getSecret(h.kube, ns, 'adopted');
  assert.equal(after?.metadata.resourceVersion, before?.metadata.resourceVersion, 'no write: data and hash already match');
});
