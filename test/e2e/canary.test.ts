/**
 * Canary values, pushed through success and failure paths, must not appear in
 * any log line, event, status or metric; a canary key name only where
 * docs/security.md allows. Also checks the refresh policies, because they
 * decide how often values are read.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cleanupCreated, ExternalSecrets, Secrets, createNamespace, createVaultTokenStore, getEs, getSecret, harness, putVaultKv2, readyOf, secretStrings, startController, uniqueName, waitReady, type Harness, type RunningController } from '../support/harness.ts';
import { ClusterExternalSecrets, ClusterSecretStores, SecretStores } from '../../src/controllers/resources.ts';
import { SopsSecrets } from '../../src/controllers/sopssecret/resources.ts';
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
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
  }
});

async function es(ns: string, name: string, spec: Record<string, unknown>) {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: ns },
    spec: { secretStoreRef: { name: 'vault' }, ...spec },
  } as never);
}

interface Ev { involvedObject?: { name?: string }; reason?: string; message?: string }
interface Obj { metadata: { name: string; namespace?: string }; status?: unknown }

/** The status of every object Hush writes status to, in every namespace. */
async function allStatuses(): Promise<string> {
  const out: unknown[] = [];
  for (const rt of [ExternalSecrets, SecretStores, ClusterSecretStores, ClusterExternalSecrets, SopsSecrets]) {
    for (const o of (await h.kube.list<Obj>(rt)).items) out.push({ kind: rt.kind, name: o.metadata.name, namespace: o.metadata.namespace, status: o.status });
  }
  return JSON.stringify(out);
}

/** Every form a value could leak in: as is, base64, hex, JSON-escaped inside a string, and upper-cased (a template's `upper`). */
const formsOf = (v: string) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex'), JSON.stringify(v).slice(1, -1), v.toUpperCase(), Buffer.from(v.toUpperCase()).toString('base64')];

// See docs/security.md: values are secret everywhere; key names are identifiers that failure
// messages and the "wrote secret" debug line may name, but metrics never.
test('canary values never reach logs, events, status or metrics; a canary key name shows up only where documented', async () => {
  const value = `CANARY-${randomBytes(8).toString('hex')}`;
  const inJson = `{"x": "${value}"`; // deliberately not JSON: its parse error must not quote it
  const keyName = `key-KEYCANARY${randomBytes(6).toString('hex')}`;
  const ns = await createNamespace(h.kube);
  const p = uniqueName('canary');
  await putVaultKv2(h.env, `${p}/plain`, { password: value, json: inJson });
  await putVaultKv2(h.env, `${p}/keyed`, { [keyName]: 'not-secret-either' });
  await createVaultTokenStore(h, ns);
  await waitReady(h.kube, SecretStores, ns, 'vault');
  const plain = (property: string, extra: Record<string, unknown> = {}) => ({ key: `${p}/plain`, property, ...extra });
  // Success paths: every planted string reaches a Secret.
  await es(ns, 'ok', { data: [{ secretKey: 'password', remoteRef: plain('password') }, { secretKey: 'json', remoteRef: plain('json') }] });
  await es(ns, 'keyed', { dataFrom: [{ extract: { key: `${p}/keyed` } }] });
  // Failure paths, each of which holds the value while it fails.
  const failing = ['bad-b64', 'bad-json', 'bad-extract', 'bad-template', 'bad-transformed'];
  await es(ns, 'bad-b64', { data: [{ secretKey: 'password', remoteRef: plain('password', { decodingStrategy: 'Base64' }) }] });
  await es(ns, 'bad-json', { data: [{ secretKey: 'x', remoteRef: plain('json.x') }] });
  await es(ns, 'bad-extract', { data: [{ secretKey: 'x', remoteRef: plain('password') }], dataFrom: [{ extract: plain('password') }] });
  await es(ns, 'bad-template', { target: { template: { data: { out: '{{ fail .password }}' } } }, data: [{ secretKey: 'password', remoteRef: plain('password') }] });
  // The value transformed before the function that fails quotes it: only the secret marks catch this.
  await es(ns, 'bad-transformed', { target: { template: { data: { out: '{{ .password | toString | upper | b64enc | mustToDate "2006" }}' } } }, data: [{ secretKey: 'password', remoteRef: plain('password') }] });

  await waitReady(h.kube, ExternalSecrets, ns, 'ok');
  await waitReady(h.kube, ExternalSecrets, ns, 'keyed');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ok')), { password: value, json: inJson }, 'the value canaries reached the Secret');
  assert.deepEqual(Object.keys(secretStrings(await getSecret(h.kube, ns, 'keyed'))), [keyName], 'the key-name canary reached the Secret');
  for (const name of failing) await waitReady(h.kube, ExternalSecrets, ns, name, 'False');
  // Positive sentinel instead of a pause: the failure event of every failing ExternalSecret is
  // stored, and each one's failure was logged.
  const events = await waitFor(
    async () => {
      const items = (await h.kube.list<Ev & { metadata: { name: string } }>(Events, { namespace: ns })).items;
      return failing.every((n) => items.some((e) => e.involvedObject?.name === n && e.reason === 'UpdateFailed')) ? items : undefined;
    },
    { timeoutMs: 20_000, message: 'an UpdateFailed event for every failing ExternalSecret' },
  );
  await waitFor(() => failing.every((n) => ctl.logs.some((l) => l.includes('"reconcile failed"') && l.includes(`"name":"${n}"`) && l.includes(`"namespace":"${ns}"`))), { message: 'a failure log line for each' });

  const statuses = await allStatuses();
  const eventText = JSON.stringify(events);
  const logs = ctl.logs.join('\n');
  const metrics = ctl.metrics.registry.render();
  assert.ok(ctl.logs.some((l) => l.includes('"level":"debug"')), 'debug lines were captured');
  for (const form of [...formsOf(value), ...formsOf(inJson)]) {
    assert.ok(!logs.includes(form), `a value (as ${JSON.stringify(form.slice(0, 12))}...) in the logs`);
    assert.ok(!eventText.includes(form), 'a value in events');
    assert.ok(!statuses.includes(form), 'a value in the status of an object');
    assert.ok(!metrics.includes(form), 'a value in metrics');
  }
  const transformed = (await getEs(h.kube, ns, 'bad-transformed'))?.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
  assert.match(transformed, /error calling mustToDate: \(details withheld: an argument derives from secret data\)/, 'the failure still says where and which function');
  // The key name: where docs/security.md says it may be, and never in metrics.
  assert.ok(!metrics.includes(keyName), 'a key name in metrics');
  const linesWithKey = ctl.logs.filter((l) => l.includes(keyName));
  assert.ok(linesWithKey.length > 0, 'the wrote-secret debug line names the data keys');
  for (const line of linesWithKey) {
    const msg = (JSON.parse(line) as { msg?: string }).msg;
    assert.ok(msg === 'wrote secret' || msg === 'reconcile failed', `the key name logged by ${JSON.stringify(msg)}, which docs/security.md does not list`);
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
  const reads = (name: string) => ctl.metrics.syncCalls.get({ name, namespace: ns });
  const readsBefore = { once: reads('once'), created: reads('created') };
  await putVaultKv2(h.env, `${p}/k`, { v: 'two' });
  await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'periodic')).v === 'two', { timeoutMs: 10_000, message: 'periodic refresh' });
  // Positive sentinel: wake both through their Secrets (a change that leaves the data valid) and
  // wait for each to log that it considered a refresh and declined, for its own reason.
  const mark = ctl.logs.length;
  for (const n of ['once', 'created']) await h.kube.patch(Secrets, n, ns, { metadata: { annotations: { 'e2e.hush.dev/poke': '1' } } }, 'merge');
  const skipped = (name: string, reason: string) => ctl.logs.slice(mark).some((l) => l.includes('"skipping refresh"') && l.includes(`"name":"${name}"`) && l.includes(`"namespace":"${ns}"`) && l.includes(reason));
  await waitFor(() => skipped('once', 'refreshInterval 0') && skipped('created', 'CreatedOnce'), { message: 'both declined a refresh' });
  assert.equal(secretStrings(await getSecret(h.kube, ns, 'once')).v, 'one');
  assert.equal(secretStrings(await getSecret(h.kube, ns, 'created')).v, 'one');
  assert.deepEqual({ once: reads('once'), created: reads('created') }, readsBefore, 'neither read the store again');
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
