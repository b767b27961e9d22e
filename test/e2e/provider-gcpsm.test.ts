/**
 * The gcpsm provider through the real controller and kube-apiserver.
 *
 * GCP has no emulator: the store is src/providers/gcpsm/testing/server.ts, a
 * gRPC server built from the official Secret Manager protos that the real
 * client library talks to over the real wire protocol. It emulates versions
 * and `latest`, version states, label filters and paging (its header lists
 * exactly what). The Google token endpoints are fakes too
 * (testing/tokens.ts): they verify the service account key's JWT signature
 * and the shape of the workload identity exchange; the Kubernetes token
 * itself is minted by the real apiserver's TokenRequest.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanupCreated, ExternalSecrets, SecretStores, Secrets, createNamespace, getEs, getSecret, harness, readyOf, secretStrings, startController, waitReady, type Harness, type RunningController } from '../support/harness.ts';
import { ServiceAccounts } from '../../src/kube/resources.ts';
import { waitFor } from '../support/index.ts';
import { DEFAULT_CREDENTIAL_POLICY } from '../../src/providers/ambient.ts';
import { PROJECT_ID, startFakeSecretManager, type FakeSecretManager } from '../../src/providers/gcpsm/testing/server.ts';
import { makeServiceAccountKey, startFakeGoogleTokens, type FakeGoogleTokens } from '../../src/providers/gcpsm/testing/tokens.ts';

const EMAIL = 'eso@hush-test.iam.gserviceaccount.com';
const PROVIDER = 'GCP/SecretManager';

let h: Harness;
let ctl: RunningController;
let sm: FakeSecretManager;
let tokens: FakeGoogleTokens;
let keyJson: string;
const envKeys = ['HUSH_GCPSM_ENDPOINT', 'HUSH_GCP_SECURETOKEN_URL', 'GCE_METADATA_HOST'] as const;
const savedEnv = Object.fromEntries(envKeys.map((k) => [k, process.env[k]]));

before(async () => {
  tokens = await startFakeGoogleTokens();
  sm = await startFakeSecretManager({ authorize: (t) => tokens.principalOf(t) });
  const key = await makeServiceAccountKey(EMAIL, tokens.tokenUri);
  keyJson = key.json;
  tokens.registerKey(EMAIL, key.publicKeyPem);
  // The provider reads its endpoints when a store connects; the controller runs in this process.
  process.env.HUSH_GCPSM_ENDPOINT = sm.url;
  process.env.HUSH_GCP_SECURETOKEN_URL = tokens.secureTokenUrl;
  process.env.GCE_METADATA_HOST = tokens.metadataHost;
  h = await harness();
  // Workload identity on a SecretStore asks for the pool's audience: allowed by flag, as an operator would.
  ctl = await startController(h, { credentialPolicy: { ...DEFAULT_CREDENTIAL_POLICY, allowedTokenAudiences: ['vault', `${PROJECT_ID}.svc.id.goog`] } });
});

after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
    await sm?.stop();
    await tokens?.stop();
    for (const k of envKeys) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  }
});

/** A namespace with a SecretStore "gcp" using the service account key. */
async function keyStore(extra: Record<string, unknown> = {}): Promise<string> {
  const ns = await createNamespace(h.kube, 'gcp');
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcp-key', namespace: ns }, stringData: { 'key.json': keyJson } } as never);
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'gcp', namespace: ns },
    spec: { provider: { gcpsm: { projectID: PROJECT_ID, auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } }, ...extra } } },
  } as never);
  await waitReady(h.kube, SecretStores, ns, 'gcp');
  return ns;
}

async function es(ns: string, name: string, spec: Record<string, unknown>, store = 'gcp'): Promise<void> {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: store, kind: 'SecretStore' }, ...spec },
  } as never);
}

async function forceSync(ns: string, name: string): Promise<void> {
  await h.kube.patch(ExternalSecrets, name, ns, { metadata: { annotations: { 'external-secrets.io/force-sync': String(Date.now()) } } }, 'merge');
}

test('sync: data with property, extract, find by name and by labels, rewrite and decoding give the Secret ESO would', async () => {
  const ns = await keyStore();
  const p = ns.replace(/-/g, '_');
  sm.addVersion(`${p}-db`, '{"username":"admin","password":"pw-1","port":5432,"opts":{"ssl": true}}', { labels: { app: p } });
  sm.addVersion(`${p}-token`, Buffer.from('tok-1').toString('base64'), { labels: { app: p, kind: 'token' } });
  sm.addVersion(`${p}-cfg-a`, 'A');
  sm.addVersion(`${p}-cfg-b`, 'B');
  const calls0 = ctl.metrics.providerCalls.get({ provider: PROVIDER, call: 'AccessSecretVersion', status: 'success' });
  await es(ns, 'app', {
    data: [
      { secretKey: 'user', remoteRef: { key: `${p}-db`, property: 'username' } },
      { secretKey: 'ssl', remoteRef: { key: `${p}-db`, property: 'opts.ssl' } },
      { secretKey: 'token', remoteRef: { key: `${p}-token`, decodingStrategy: 'Base64' } },
    ],
    dataFrom: [
      { extract: { key: `${p}-db` } },
      { find: { name: { regexp: `^${p}-cfg-` } }, rewrite: [{ regexp: { source: `^${p}-cfg-(.*)$`, target: 'CFG_$1' } }] },
      { find: { tags: { kind: 'token' } }, rewrite: [{ regexp: { source: '^.*$', target: 'by_label' } }] },
    ],
  });
  const ready = await waitReady(h.kube, ExternalSecrets, ns, 'app');
  assert.equal(readyOf(ready)?.reason, 'SecretSynced');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app')), {
    user: 'admin',
    ssl: 'true',
    token: 'tok-1',
    username: 'admin',
    password: 'pw-1',
    port: '5432',
    opts: '{"ssl": true}',
    CFG_a: 'A',
    CFG_b: 'B',
    by_label: Buffer.from('tok-1').toString('base64'),
  });
  assert.ok(ctl.metrics.providerCalls.get({ provider: PROVIDER, call: 'AccessSecretVersion', status: 'success' }) > calls0);
  assert.ok(sm.principals.includes(EMAIL), 'Secret Manager saw the service account of the key');

  // A new version reaches the Secret on the next sync.
  sm.addVersion(`${p}-db`, '{"username":"admin2","password":"pw-2","port":5432,"opts":{"ssl": true}}');
  await forceSync(ns, 'app');
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'app')).password === 'pw-2', { timeoutMs: 10_000, message: 'new version synced' });
});

test('a missing key or property gives Ready=False with Secret Manager’s reason, and the Secret keeps its data', async () => {
  const ns = await keyStore();
  const p = ns.replace(/-/g, '_');
  sm.addVersion(`${p}-k`, '{"v":"kept"}');
  await es(ns, 'keep', { data: [{ secretKey: 'v', remoteRef: { key: `${p}-k`, property: 'v' } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'keep');
  sm.deleteSecret(`${p}-k`);
  await forceSync(ns, 'keep');
  const failed = await waitReady(h.kube, ExternalSecrets, ns, 'keep', 'False');
  assert.match(readyOf(failed)?.message ?? '', new RegExp(`key "${p}-k".*secret "${p}-k" not found: .*not found or has no versions`));
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'keep')), { v: 'kept' }, 'Secret unchanged');

  sm.addVersion(`${p}-j`, '{"a":1}');
  await es(ns, 'prop', { data: [{ secretKey: 'x', remoteRef: { key: `${p}-j`, property: 'nope' } }] });
  const noProp = await waitReady(h.kube, ExternalSecrets, ns, 'prop', 'False');
  assert.match(readyOf(noProp)?.message ?? '', /key nope does not exist in secret/);
  assert.equal(await getSecret(h.kube, ns, 'prop'), undefined);
});

test('deletionPolicy Delete removes the Secret when the store has nothing; Retain keeps it', async () => {
  const ns = await keyStore();
  const p = ns.replace(/-/g, '_');
  sm.addVersion(`${p}-gone`, '{"v":"1"}');
  await es(ns, 'del', { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: { key: `${p}-gone` } }] });
  await es(ns, 'ret', { target: { deletionPolicy: 'Retain' }, dataFrom: [{ find: { name: { regexp: `^${p}-gone$` } } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'del');
  await waitReady(h.kube, ExternalSecrets, ns, 'ret');
  sm.deleteSecret(`${p}-gone`);
  await forceSync(ns, 'del');
  await forceSync(ns, 'ret');
  await waitFor(async () => (await getSecret(h.kube, ns, 'del')) === undefined, { timeoutMs: 10_000, message: 'Delete policy removed the Secret' });
  await waitFor(async () => (readyOf(await getEs(h.kube, ns, 'ret'))?.message ?? '').includes('retained'), { timeoutMs: 10_000, message: 'Retain' });
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ret')), { [`${p}-gone`]: '{"v":"1"}' });
});

test('regional secrets through spec.location', async () => {
  const ns = await keyStore({ location: 'us-east4' });
  const p = ns.replace(/-/g, '_');
  sm.addVersion(`${p}-r`, 'regional', { location: 'us-east4' });
  await es(ns, 'r', { data: [{ secretKey: 'r', remoteRef: { key: `${p}-r` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'r');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'r')), { r: 'regional' });
});

test('workload identity: a ServiceAccount token from TokenRequest is exchanged for a Google token', async () => {
  const ns = await createNamespace(h.kube, 'gcpwi');
  const p = ns.replace(/-/g, '_');
  sm.addVersion(`${p}-wi`, 'via-workload-identity');
  await h.kube.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } } as never);
  const exchanges0 = tokens.counts.get('identitybindingtoken') ?? 0;
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'gcp', namespace: ns },
    spec: {
      provider: {
        gcpsm: {
          projectID: PROJECT_ID,
          auth: { workloadIdentity: { clusterLocation: 'europe-west1', clusterName: 'hush', clusterProjectID: PROJECT_ID, serviceAccountRef: { name: 'app' } } },
        },
      },
    },
  } as never);
  await waitReady(h.kube, SecretStores, ns, 'gcp');
  await es(ns, 'wi', { data: [{ secretKey: 'v', remoteRef: { key: `${p}-wi` } }] });
  await waitReady(h.kube, ExternalSecrets, ns, 'wi');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'wi')), { v: 'via-workload-identity' });
  assert.ok(sm.principals.includes(`${PROJECT_ID}.svc.id.goog[${ns}/app]`), 'Secret Manager saw the federated identity of the ServiceAccount');
  assert.equal((tokens.counts.get('identitybindingtoken') ?? 0) - exchanges0, 1, 'one exchange for the store check and the sync');
  assert.ok(ctl.metrics.providerCalls.get({ provider: PROVIDER, call: 'GenerateIDBindToken', status: 'success' }) >= 1);
});

test('wrong credentials make the store not ready with the token endpoint’s reason', async () => {
  const ns = await createNamespace(h.kube, 'gcpbad');
  const stranger = await makeServiceAccountKey(EMAIL, tokens.tokenUri); // a key Google never issued
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcp-key', namespace: ns }, stringData: { 'key.json': stranger.json } } as never);
  await h.kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'gcp', namespace: ns },
    spec: { provider: { gcpsm: { projectID: PROJECT_ID, auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } } } } },
  } as never);
  const store = await waitReady(h.kube, SecretStores, ns, 'gcp', 'False');
  const msg = readyOf(store)?.message ?? '';
  assert.match(msg, /invalid_grant: Invalid JWT Signature/);
  assert.doesNotMatch(msg, /PRIVATE KEY/);
});
