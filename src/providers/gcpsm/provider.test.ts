/**
 * The gcpsm provider against a Secret Manager gRPC server built from the
 * official protos (testing/server.ts: a fake, as GCP has no emulator; the
 * real client library speaks the real wire protocol to it) and fake Google
 * token endpoints (testing/tokens.ts). Kubernetes reads come from memory;
 * workload identity, which needs TokenRequest, is tested against the real
 * kube-apiserver in workloadidentity.integration.test.ts and the e2e test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HushError } from '../../util/errors.ts';
import type { StoreClient } from '../types.ts';
import { rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import { MemoryKube, testStoreContext } from '../util/testing/memoryKube.ts';
import { gcpsmProvider } from './provider.ts';
import { PROJECT_ID, PROJECT_NUMBER, startFakeSecretManager, type FakeSecretManager } from './testing/server.ts';
import { makeServiceAccountKey, startFakeGoogleTokens, type FakeGoogleTokens } from './testing/tokens.ts';

const EMAIL = 'reader@hush-test.iam.gserviceaccount.com';
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const signal = new AbortController().signal;

let sm: FakeSecretManager;
let tokens: FakeGoogleTokens;
let keyJson: string;
const savedEnv = { ...process.env };

before(async () => {
  tokens = await startFakeGoogleTokens();
  sm = await startFakeSecretManager({ authorize: (t) => tokens.principalOf(t) });
  const key = await makeServiceAccountKey(EMAIL, tokens.tokenUri);
  keyJson = key.json;
  tokens.registerKey(EMAIL, key.publicKeyPem);
  process.env.HUSH_GCPSM_ENDPOINT = sm.url;
  process.env.GCE_METADATA_HOST = tokens.metadataHost;

  sm.addVersion('db', '{"user":"admin","pass":"s3cr3t-canary","port":5432,"ratio":1.0,"nested":{ "a": [1, 2] },"none":null,"a.b":"dotted","a":{"b":"path"}}', { labels: { team: 'payments', env: 'prod' }, annotations: { owner: 'ops' } });
  sm.addVersion('plain', 'v1-value');
  sm.addVersion('plain', 'v2-value');
  sm.addVersion('binary', Buffer.from([0, 1, 2, 254, 255]));
  sm.addVersion('not-json', 'hello world');
  sm.addVersion('rotated', 'old');
  sm.addVersion('rotated', 'new-but-disabled');
  sm.setVersionState('rotated', 2, 'DISABLED');
  sm.addVersion('regional-only', 'from europe-west1', { location: 'europe-west1' });
  for (let i = 0; i < 5; i++) sm.addVersion(`app-config-${i}`, `config ${i}`, { labels: { app: 'shop' } });
  sm.addVersion('other-app', 'x', { labels: { app: 'shop', tier: 'gold' } });
  sm.addVersion('forbidden-thing', 'nope');
  sm.deny(EMAIL, 'forbidden-');
});

after(async () => {
  for (const k of ['HUSH_GCPSM_ENDPOINT', 'GCE_METADATA_HOST']) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await sm?.stop();
  await tokens?.stop();
});

function kube(json = keyJson): MemoryKube {
  return new MemoryKube().setSecret('default', 'gcp-key', { 'key.json': json });
}

async function connect(extra: Record<string, unknown> = {}, k: MemoryKube = kube()) {
  const { ctx, log } = testStoreContext({ spec: { projectID: PROJECT_ID, auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } }, ...extra }, kube: k });
  const client = await gcpsmProvider.connect(ctx);
  return { client, log };
}

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<HushError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HushError, `expected a HushError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    assert.doesNotMatch(err.message, /s3cr3t-canary|PRIVATE KEY|ya29\./);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

let shared: StoreClient;
test('a service account key from a Secret is exchanged once for a token that every read reuses', async () => {
  const before = tokens.counts.get('token') ?? 0;
  const { client, log } = await connect();
  shared = client;
  assert.equal(text(await readValue(client, { key: 'plain' }, signal)), 'v2-value');
  assert.equal(text(await readValue(client, { key: 'plain', version: '1' }, signal)), 'v1-value');
  assert.equal(text(await readValue(client, { key: 'plain', version: 'latest' }, signal)), 'v2-value');
  assert.equal((tokens.counts.get('token') ?? 0) - before, 1, 'one token exchange for the connect and three reads');
  assert.equal(sm.principals.at(-1), EMAIL, 'the server saw the key’s service account');
  assert.equal(log.count('AccessSecretVersion', 'success'), 3);
  assert.equal(log.count('GenerateAccessToken', 'success'), 1);
  assert.deepEqual((await client.validate(signal)).state, 'Ready');
});

test('binary payloads come back byte for byte', async () => {
  assert.deepEqual([...(await readValue(shared, { key: 'binary' }, signal))], [0, 1, 2, 254, 255]);
});

test('property reads JSON: a dotted literal key first, then a gjson path; strings unquoted, others as JSON text', async () => {
  const get = async (property: string) => text(await readValue(shared, { key: 'db', property }, signal));
  assert.equal(await get('user'), 'admin');
  assert.equal(await get('port'), '5432');
  assert.equal(await get('a.b'), 'dotted', 'the literal key "a.b" wins');
  assert.equal(await get('a\\.b'), 'dotted');
  assert.equal(await get('nested'), '{ "a": [1, 2] }');
  assert.equal(await get('nested.a.1'), '2');
  assert.equal(await get('none'), '');
  await rejectsWith(readValue(shared, { key: 'db', property: 'missing' }, signal), 'PropertyNotFound', /key missing does not exist in secret db/);
  await rejectsWith(readValue(shared, { key: 'not-json', property: 'x' }, signal), 'InvalidData', /is not JSON/);
});

test('extract splits a JSON object: strings unescaped, other members as their exact source text, null empty', async () => {
  const m = await readMap(shared, { key: 'db' }, signal);
  const got = Object.fromEntries([...m].map(([k, v]) => [k, text(v)]));
  assert.deepEqual(got, { user: 'admin', pass: 's3cr3t-canary', port: '5432', ratio: '1.0', nested: '{ "a": [1, 2] }', none: '', 'a.b': 'dotted', a: '{"b":"path"}' });
  await rejectsWith(readMap(shared, { key: 'not-json' }, signal), 'InvalidData', /not valid JSON/);
});

test('metadataPolicy Fetch returns labels and annotations as ESO shapes them', async () => {
  const get = async (property?: string) => text(await readValue(shared, { key: 'db', metadataPolicy: 'Fetch', ...(property ? { property } : {}) }, signal));
  assert.equal(await get(), '{"annotations":{"owner":"ops"},"labels":{"env":"prod","team":"payments"}}');
  assert.equal(await get('labels'), '{"env":"prod","team":"payments"}');
  assert.equal(await get('labels.team'), 'payments');
  assert.equal(await get('annotations.owner'), 'ops');
  assert.equal(text(await readValue(shared, { key: 'plain', metadataPolicy: 'Fetch' }, signal)), '{"annotations":null,"labels":null}', 'empty maps are null, as Go marshals a nil map');
  await rejectsWith(readValue(shared, { key: 'db', metadataPolicy: 'Fetch', property: 'labels.nope' }, signal), 'PropertyNotFound', /label with key nope/);
  await rejectsWith(readValue(shared, { key: 'db', metadataPolicy: 'Fetch', property: 'owner' }, signal), 'PropertyNotFound', /should start with either annotations or labels/);
});

test('find by name regexp lists every page and reads each match', async () => {
  const before = sm.calls.get('ListSecrets') ?? 0;
  const m = await shared.findSecrets({ name: { regexp: '^app-config-' } }, signal);
  assert.deepEqual([...m.keys()].sort(), ['app-config-0', 'app-config-1', 'app-config-2', 'app-config-3', 'app-config-4']);
  assert.equal(text(m.get('app-config-3')!), 'config 3');
  assert.ok((sm.calls.get('ListSecrets') ?? 0) - before >= 4, 'the fake answers 3 secrets a page, so every page was read');
});

test('find by labels filters server-side; a name wins over tags; path must prefix the key', async () => {
  const byTags = await shared.findSecrets({ tags: { app: 'shop', tier: 'gold' } }, signal);
  assert.deepEqual([...byTags.keys()], ['other-app']);
  const byApp = await shared.findSecrets({ tags: { app: 'shop' }, path: 'app-' }, signal);
  assert.deepEqual([...byApp.keys()].sort(), ['app-config-0', 'app-config-1', 'app-config-2', 'app-config-3', 'app-config-4']);
  const nameWins = await shared.findSecrets({ name: { regexp: '^plain$' }, tags: { app: 'shop' } }, signal);
  assert.deepEqual([...nameWins.keys()], ['plain']);
  await rejectsWith(shared.findSecrets({ path: 'app' }, signal), 'NotSupported', /name.regexp or tags/);
});

test('missing secrets and versions are NotFound naming the key; a denied secret is AccessDenied', async () => {
  await rejectsWith(readValue(shared, { key: 'no-such' }, signal), 'NotFound', /secret "no-such" not found: .*not found or has no versions/);
  await rejectsWith(readValue(shared, { key: 'plain', version: '9' }, signal), 'NotFound', /versions\/9\] not found/);
  await rejectsWith(readValue(shared, { key: 'forbidden-thing' }, signal), 'AccessDenied', /PERMISSION_DENIED/);
});

test('secretVersionSelectionPolicy: LatestOrFail fails on a disabled latest; LatestOrFetch reads the newest enabled version', async () => {
  await rejectsWith(readValue(shared, { key: 'rotated' }, signal), 'Unavailable', /DISABLED state/);
  const { client } = await connect({ secretVersionSelectionPolicy: 'LatestOrFetch' });
  try {
    assert.equal(text(await readValue(client, { key: 'rotated' }, signal)), 'old');
    await rejectsWith(readValue(client, { key: 'rotated', version: '2' }, signal), 'Unavailable', /DISABLED state/);
  } finally {
    await client.close();
  }
});

test('location reads regional secrets from the regional parent', async () => {
  const { client } = await connect({ location: 'europe-west1' });
  try {
    assert.equal(text(await readValue(client, { key: 'regional-only' }, signal)), 'from europe-west1');
    await rejectsWith(readValue(client, { key: 'plain' }, signal), 'NotFound');
    assert.deepEqual([...(await client.findSecrets({ name: { regexp: '.' } }, signal)).keys()], ['regional-only']);
  } finally {
    await client.close();
  }
  await rejectsWith(readValue(shared, { key: 'regional-only' }, signal), 'NotFound');
});

test('a token the server no longer accepts is replaced once, transparently', async () => {
  tokens.revokeAll();
  const before = tokens.counts.get('token') ?? 0;
  assert.equal(text(await readValue(shared, { key: 'plain' }, signal)), 'v2-value');
  assert.equal((tokens.counts.get('token') ?? 0) - before, 1);
});

test('tokens are refreshed before they expire', async () => {
  tokens.setLifetime(1);
  try {
    const { client } = await connect();
    try {
      const before = tokens.counts.get('token') ?? 0;
      await readValue(client, { key: 'plain' }, signal);
      assert.equal((tokens.counts.get('token') ?? 0) - before, 0, 'the connect token is still fresh');
      await new Promise((r) => setTimeout(r, 750));
      await readValue(client, { key: 'plain' }, signal);
      assert.equal((tokens.counts.get('token') ?? 0) - before, 1, 'two thirds of the life passed: a new token');
    } finally {
      await client.close();
    }
  } finally {
    tokens.setLifetime(3600);
  }
});

test('RESOURCE_EXHAUSTED is Throttled with the server\'s RetryInfo delay; the client itself does not pause', async () => {
  const { client } = await connect();
  try {
    sm.throttle(1, { retryDelayMs: 7000 });
    const e = await rejectsWith(readValue(client, { key: 'plain' }, signal), 'Throttled', /RESOURCE_EXHAUSTED: Quota exceeded/);
    assert.equal(e.retryAfterMs, 7000, 'google.rpc.RetryInfo.retry_delay');
    sm.throttle(1);
    const bare = await rejectsWith(readValue(client, { key: 'plain' }, signal), 'Throttled', /Quota exceeded/);
    assert.equal(bare.retryAfterMs, undefined, 'no delay is made up when the server gives none: the governor picks one');
    // Pausing is the store's governor's job: the very next call goes out.
    const served = sm.calls.get('AccessSecretVersion') ?? 0;
    assert.equal(text(await readValue(client, { key: 'plain' }, signal)), 'v2-value');
    assert.equal((sm.calls.get('AccessSecretVersion') ?? 0) - served, 1);
  } finally {
    await client.close();
  }
});

test('raw reads: two properties of one key are one AccessSecretVersion, projected twice', async () => {
  const before = sm.calls.get('AccessSecretVersion') ?? 0;
  const user = { key: 'db', property: 'user' };
  const port = { key: 'db', property: 'port' };
  assert.deepEqual(rawRefOf(shared, user), rawRefOf(shared, port), 'the property is not part of the request');
  const raw = await shared.read(rawRefOf(shared, user), signal);
  assert.equal(text(shared.projection.value(raw, user)), 'admin');
  assert.equal(text(shared.projection.value(raw, port)), '5432');
  assert.equal(text(shared.projection.map(raw, { key: 'db' }).get('pass')!), 's3cr3t-canary');
  assert.equal((sm.calls.get('AccessSecretVersion') ?? 0) - before, 1, 'one call for both properties and the map');
  assert.throws(() => shared.projection.value(raw, { key: 'db', property: 'missing' }), { code: 'PropertyNotFound', message: /key missing does not exist in secret db/ });
});

test('raw reads: the version is the resolved version\'s name, and a new version changes it; metadata reads carry the etag', async () => {
  sm.addVersion('versioned', 'one', { labels: { gen: '1' } });
  const latest = await shared.read({ key: 'versioned' }, signal);
  assert.equal(latest.version, `projects/${PROJECT_NUMBER}/secrets/versioned/versions/1`);
  sm.addVersion('versioned', 'two');
  const next = await shared.read({ key: 'versioned' }, signal);
  assert.equal(next.version, `projects/${PROJECT_NUMBER}/secrets/versioned/versions/2`);
  assert.equal(text(shared.projection.value(next, { key: 'versioned' })), 'two');
  assert.equal((await shared.read({ key: 'versioned', version: '1' }, signal)).version, `projects/${PROJECT_NUMBER}/secrets/versioned/versions/1`, 'a pinned version names itself');
  const { client } = await connect({ secretVersionSelectionPolicy: 'LatestOrFetch' });
  try {
    assert.equal((await client.read({ key: 'rotated' }, signal)).version, `projects/${PROJECT_NUMBER}/secrets/rotated/versions/1`, 'LatestOrFetch names the enabled version it fell back to');
  } finally {
    await client.close();
  }

  const m1 = await shared.read({ key: 'versioned', metadataPolicy: 'Fetch' }, signal);
  assert.match(m1.version ?? '', /^"[0-9a-f]+"$/, 'the Secret\'s etag');
  assert.equal((await shared.read({ key: 'versioned', metadataPolicy: 'Fetch' }, signal)).version, m1.version, 'unchanged secret, same etag');
  sm.putSecret('versioned', { labels: { gen: '2' } });
  const m2 = await shared.read({ key: 'versioned', metadataPolicy: 'Fetch' }, signal);
  assert.notEqual(m2.version, m1.version, 'new labels, new etag');
  assert.equal(text(shared.projection.value(m2, { key: 'versioned', metadataPolicy: 'Fetch', property: 'labels.gen' })), '2');
});

test('the projection is pure: same bytes twice, the payload untouched, and a reader\'s bytes are its own', async () => {
  const raw = await shared.read({ key: 'binary' }, signal);
  const first = shared.projection.value(raw, { key: 'binary' });
  const second = shared.projection.value(raw, { key: 'binary' });
  assert.deepEqual([...first], [0, 1, 2, 254, 255]);
  assert.deepEqual(second, first);
  first.fill(7);
  assert.deepEqual([...shared.projection.value(raw, { key: 'binary' })], [0, 1, 2, 254, 255], 'wiping one reader\'s bytes leaves the shared payload alone');
  const meta = await shared.read({ key: 'db', metadataPolicy: 'Fetch' }, signal);
  const snapshot = JSON.stringify(meta.payload);
  const ref = { key: 'db', metadataPolicy: 'Fetch' as const, property: 'labels' };
  assert.deepEqual(shared.projection.value(meta, ref), shared.projection.value(meta, ref));
  assert.deepEqual(Object.fromEntries([...shared.projection.map(meta, ref)].map(([k, v]) => [k, text(v)])), { env: 'prod', team: 'payments' });
  assert.equal(JSON.stringify(meta.payload), snapshot);
});

test('bad credentials fail at connect with the token endpoint’s reason and no key material', async () => {
  const other = await makeServiceAccountKey(EMAIL, tokens.tokenUri); // same email, key Google does not know
  await rejectsWith(connect({}, kube(other.json)), 'AuthFailed', /invalid_grant: Invalid JWT Signature/);
  await rejectsWith(connect({}, kube('{"type":"authorized_user"}')), 'InvalidConfig', /'type' field is "authorized_user" \(expected "service_account"\)/);
  await rejectsWith(connect({}, kube('not json at all')), 'InvalidConfig', /not valid JSON/);
  await rejectsWith(connect({}, new MemoryKube()), 'NotFound', /gcp-key/);
});

test('static checks name the field', () => {
  assert.deepEqual(gcpsmProvider.validateStore({ auth: { secretRef: { secretAccessKeySecretRef: { name: 'k', key: 'k' } } } }, 'SecretStore'), [
    { field: 'spec.provider.gcpsm.projectID', message: 'is required with auth.secretRef (unable to find ProjectID in storeSpec)' },
  ]);
  assert.deepEqual(gcpsmProvider.validateStore({ projectID: 'p', secretVersionSelectionPolicy: 'Newest' }, 'SecretStore'), [
    { field: 'spec.provider.gcpsm.secretVersionSelectionPolicy', message: 'must be one of LatestOrFail, LatestOrFetch' },
  ]);
  assert.deepEqual(gcpsmProvider.validateStore({ projectID: 'p', auth: { workloadIdentity: {} } }, 'SecretStore'), [
    { field: 'spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef', message: 'is required' },
  ]);
});

test('without projectID or auth, the project and token come from the metadata server', async () => {
  tokens.setMetadata('project/project-id', PROJECT_ID);
  // The controller's own identity: a ClusterSecretStore (an administrator's) may use it.
  const { ctx } = testStoreContext({ spec: {}, kube: new MemoryKube(), storeKind: 'ClusterSecretStore', namespace: undefined });
  // The fake metadata server has no token path: the error says what to configure instead.
  await rejectsWith(gcpsmProvider.connect(ctx), 'Unavailable', /outside Google Cloud set auth.secretRef or auth.workloadIdentity/);
  assert.ok((tokens.counts.get('metadata') ?? 0) >= 2);
});

test('no auth block on a namespaced SecretStore: the controller\'s Google identity is refused before any request', async (t) => {
  // The controller's own identity, as ADC finds it: a key file named by GOOGLE_APPLICATION_CREDENTIALS.
  const dir = mkdtempSync(join(tmpdir(), 'hush-adc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'key.json'), keyJson);
  process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'key.json');
  t.after(() => delete process.env.GOOGLE_APPLICATION_CREDENTIALS);
  tokens.setMetadata('project/project-id', PROJECT_ID);
  const requests = (): number => [...tokens.counts.values(), ...sm.calls.values()].reduce((a, b) => a + b, 0);

  const before = requests();
  const refused = testStoreContext({ spec: {}, kube: new MemoryKube(), namespace: 'team-a' });
  await assert.rejects(gcpsmProvider.connect(refused.ctx), (e: unknown) =>
    e instanceof HushError && e.code === 'PolicyRefused' && e.retryable === false &&
    /^spec\.provider\.gcpsm\.auth: this store would use the controller's own Google identity/.test(e.message) &&
    /set spec\.provider\.gcpsm\.auth\.secretRef or spec\.provider\.gcpsm\.auth\.workloadIdentity/.test(e.message) &&
    /--ambient-credentials-namespaces=team-a/.test(e.message));
  assert.equal(requests(), before, 'no token exchange, metadata lookup or Secret Manager call');

  // The positive sentinel: the same store in a namespace the operator allows does reach the token endpoint and the store.
  const allowed = testStoreContext({ spec: {}, kube: new MemoryKube(), namespace: 'team-a', policy: { ambientNamespaces: ['team-a'] } });
  const client = await gcpsmProvider.connect(allowed.ctx);
  t.after(() => client.close());
  assert.equal(text(await readValue(client, { key: 'plain' }, signal)), 'v2-value');
  assert.ok(requests() > before);
});

after(async () => {
  await shared?.close();
});
