/**
 * The webhook provider against a real HTTP(S) server on loopback
 * (testing/server.ts). Kubernetes reads come from memory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EgressPolicy } from '../../net/egress.ts';
import { EgressGuard } from '../../net/guard.ts';
import { HushError } from '../../util/errors.ts';
import { rawRefOf, rawRefKey, readMap, readValue } from '../../read/rawref.ts';
import { MemoryKube, testStoreContext } from '../util/testing/memoryKube.ts';
import { makeTestPki, type TestPki } from '../util/testing/pki.ts';
import { webhookProvider } from './provider.ts';
import { BOOM_CANARY, startSecretsApi, type SecretsApi } from './testing/server.ts';

const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const TOKEN = 'api-token-canary-91c2';

let api: SecretsApi;
let tlsApi: SecretsApi;
let pki: TestPki;

before(async () => {
  api = await startSecretsApi();
  pki = makeTestPki();
  tlsApi = await startSecretsApi({ tls: { certPath: pki.serverCertPath, keyPath: pki.serverKeyPath } });
  for (const a of [api, tlsApi]) {
    a.values.set('db', { username: 'admin', password: 'pw', port: 5432, ratio: 1.5, tags: ['a', 'b'], nested: { x: 1 } });
    a.values.set('a b/c', { value: 'odd key' });
    a.values.set('plain', 'just text');
    a.values.set('plain@2', 'second version');
    a.values.set('packed', JSON.stringify({ inner: 'json in a string' }));
  }
});

after(async () => {
  await api?.stop();
  await tlsApi?.stop();
  pki?.cleanup();
});

function kube(): MemoryKube {
  return new MemoryKube().setSecret('default', 'creds', { token: TOKEN, user: 'svc', pass: 'svc-password' });
}

async function connect(spec: Record<string, unknown>, k = kube(), storeKind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore') {
  const { ctx, log } = testStoreContext({ spec, kube: k, storeKind, namespace: 'default' });
  return { client: await webhookProvider.connect(ctx), log };
}

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<HushError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HushError, `expected a HushError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    for (const secret of [TOKEN, 'svc-password', BOOM_CANARY]) assert.ok(!err.message.includes(secret), `message leaks a secret: ${err.message}`);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

test('GET with templates: the URL gets the query-escaped key, headers get secrets, jsonPath picks the value', async () => {
  api.token = TOKEN;
  try {
    const { client, log } = await connect({
      url: `${api.url}/secrets/{{ .remoteRef.key }}?version={{ .remoteRef.version }}`,
      headers: { Authorization: 'Bearer {{ .creds.token }}', 'X-Property': '{{ .remoteRef.property }}' },
      result: { jsonPath: '$.data.{{ .remoteRef.property }}' },
      secrets: [{ name: 'creds', secretRef: { name: 'creds' } }],
    });
    assert.equal(text(await readValue(client, { key: 'db', property: 'username' }, signal)), 'admin');
    const last = api.seen.at(-1)!;
    assert.equal(last.url, '/secrets/db?version=');
    assert.equal(last.headers['x-property'], 'username');
    assert.equal(text(await readValue(client, { key: 'a b/c', property: 'value' }, signal)), 'odd key');
    assert.equal(api.seen.at(-1)!.url, '/secrets/a+b%2Fc?version=', 'url.QueryEscape of the key');
    assert.equal(text(await readValue(client, { key: 'db', property: 'ratio' }, signal)), '2', 'numbers are rounded as ESO does');
    assert.equal(text(await readValue(client, { key: 'db', property: 'tags' }, signal)), 'a', 'a list gives its first element');
    assert.equal(text(await readValue(client, { key: 'db', property: 'nested' }, signal)), '{"x":1}');
    await rejectsWith(readValue(client, { key: 'db', property: 'nope' }, signal), 'PropertyNotFound', /failed to get response path \$\.data\.nope: unknown key nope/);
    assert.equal(log.count('HTTPRequest', 'success'), 6);
    await client.close();
  } finally {
    api.token = undefined;
  }
});

test('POST with a body template; no jsonPath returns the body as received; versions reach the URL', async () => {
  const { client } = await connect({ url: `${api.url}/lookup`, method: 'POST', body: '{"key":"{{ .remoteRef.key }}"}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(text(await readValue(client, { key: 'a b/c' }, signal)), '{"data":{"value":"odd key"}}');
  assert.equal(api.seen.at(-1)!.body, '{"key":"a b/c"}', 'the body gets the raw key');
  await client.close();
  const { client: raw } = await connect({ url: `${api.url}/secrets/{{ .remoteRef.key }}{{ if .remoteRef.version }}?version={{ .remoteRef.version }}{{ end }}`, result: { jsonPath: '$.data' } });
  assert.equal(text(await readValue(raw, { key: 'plain', version: '2' }, signal)), 'second version');
  await raw.close();
});

test('extract: an object (or a string holding one) split into keys as ESO does', async () => {
  const { client } = await connect({ url: `${api.url}/secrets/{{ .remoteRef.key }}`, result: { jsonPath: '$.data' } });
  const m = Object.fromEntries([...(await readMap(client, { key: 'db' }, signal))].map(([k, v]) => [k, text(v)]));
  assert.deepEqual(m, { username: 'admin', password: 'pw', port: '5432', ratio: '1.5', tags: '["a","b"]', nested: '{"x":1}' });
  const packed = await readMap(client, { key: 'packed' }, signal);
  assert.equal(text(packed.get('inner')!), 'json in a string');
  await rejectsWith(readMap(client, { key: 'plain' }, signal), 'InvalidData', /not JSON/);
  await rejectsWith(client.findSecrets({ name: { regexp: '.' } }, signal), 'NotSupported');
  await client.close();
});

test('status answers: 404 is NotFound, 429 is Throttled with the server\'s Retry-After, 5xx names the status without the body, timeouts are Timeout', async () => {
  const { client } = await connect({ url: `${api.url}/{{ .remoteRef.key }}`, timeout: '300ms' });
  await rejectsWith(readValue(client, { key: 'secrets/absent' }, signal), 'NotFound', /secret not found \(endpoint answered 404 Not Found\)/);
  await rejectsWith(readValue(client, { key: 'boom' }, signal), 'Unavailable', /endpoint gave error 500 Internal Server Error/);
  const t0 = Date.now();
  await rejectsWith(readValue(client, { key: 'slow' }, signal), 'Timeout', /failed to call endpoint/);
  assert.ok(Date.now() - t0 < 1500, 'the store timeout applies');
  const e = await rejectsWith(readValue(client, { key: 'throttled' }, signal), 'Throttled', /429 Too Many Requests/);
  assert.equal(e.retryAfterMs, 1000, 'Retry-After is passed on');
  // The client itself does not pause: the store's governor does. The next read goes out at once.
  const sent = api.seen.length;
  await rejectsWith(readValue(client, { key: 'throttled' }, signal), 'Throttled', /endpoint gave error 429 Too Many Requests/);
  assert.equal(api.seen.length, sent + 1, 'no client-side back-off after a 429: the request went out');
  await client.close();
});

test('429: Retry-After in seconds or as an HTTP date becomes retryAfterMs; without one, none is made up', async (t) => {
  t.after(() => (api.retryAfter = '1'));
  const { client } = await connect({ url: `${api.url}/{{ .remoteRef.key }}` });
  api.retryAfter = '7';
  assert.equal((await rejectsWith(readValue(client, { key: 'throttled' }, signal), 'Throttled')).retryAfterMs, 7000);
  api.retryAfter = new Date(Date.now() + 120_000).toUTCString();
  const dated = (await rejectsWith(readValue(client, { key: 'throttled' }, signal), 'Throttled')).retryAfterMs ?? 0;
  assert.ok(dated > 115_000 && dated <= 120_000, `an HTTP date 2 min ahead: ${dated} ms`);
  api.retryAfter = undefined;
  assert.equal((await rejectsWith(readValue(client, { key: 'throttled' }, signal), 'Throttled')).retryAfterMs, undefined);
  await client.close();
});

test('https with caBundle or caProvider; without the CA the TLS error is reported', async () => {
  const caBundle = Buffer.from(pki.caPem).toString('base64');
  const { client } = await connect({ url: `${tlsApi.url}/raw/{{ .remoteRef.key }}`, caBundle });
  assert.equal(text(await readValue(client, { key: 'plain' }, signal)), 'just text');
  await client.close();
  const k = kube();
  k.setConfigMap('default', 'ca', { 'ca.crt': pki.caPem });
  const { client: viaProvider } = await connect({ url: `${tlsApi.url}/raw/{{ .remoteRef.key }}`, caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' } }, k);
  assert.equal(text(await readValue(viaProvider, { key: 'plain' }, signal)), 'just text');
  await viaProvider.close();
  const { client: untrusted } = await connect({ url: `${tlsApi.url}/raw/{{ .remoteRef.key }}` });
  await rejectsWith(readValue(untrusted, { key: 'plain' }, signal), 'Unavailable', /certificate/);
  await untrusted.close();
});

test('auth.ntlm: credentials from Secrets are sent as Basic after an anonymous 401', async () => {
  api.basic = { user: 'svc', password: 'svc-password' };
  try {
    const { client } = await connect({
      url: `${api.url}/raw/{{ .remoteRef.key }}`,
      auth: { ntlm: { usernameSecret: { name: 'creds', key: 'user' }, passwordSecret: { name: 'creds', key: 'pass' } } },
    });
    const before = api.seen.length;
    assert.equal(text(await readValue(client, { key: 'plain' }, signal)), 'just text');
    assert.equal(api.seen.length - before, 2, 'anonymous first, then with credentials');
    await client.close();
    const { client: noAuth } = await connect({ url: `${api.url}/raw/{{ .remoteRef.key }}` });
    await rejectsWith(readValue(noAuth, { key: 'plain' }, signal), 'AuthFailed', /401 Unauthorized/);
    await noAuth.close();
  } finally {
    api.basic = undefined;
  }
});

test('template secrets: only referenced keys are read; ClusterSecretStore refs need a namespace; template errors name the field', async () => {
  const k = kube();
  const { client } = await connect({ url: `${api.url}/raw/{{ index .creds "token" | len }}-{{ .remoteRef.key }}`, secrets: [{ name: 'creds', secretRef: { name: 'creds' } }] }, k);
  const reads = k.reads;
  await rejectsWith(readValue(client, { key: 'x' }, signal), 'NotFound', /404 Not Found/); // /raw/21-x does not exist, but the URL rendered
  assert.equal(api.seen.at(-1)!.url, `/raw/${TOKEN.length}-x`);
  assert.equal(k.reads - reads, 1, 'one key read: the one the template names');
  await client.close();

  const { ctx } = testStoreContext({ spec: { url: `${api.url}/raw/x`, secrets: [{ name: 'creds', secretRef: { name: 'creds' } }] }, kube: k, storeKind: 'ClusterSecretStore', namespace: 'default' });
  const cluster = await webhookProvider.connect(ctx);
  await rejectsWith(readValue(cluster, { key: 'x' }, signal), 'InvalidConfig', /no namespace on ClusterScoped webhook secret creds/);

  const { client: bad } = await connect({ url: `${api.url}/raw/{{ .remoteRef.key | nosuchfunc }}` });
  await rejectsWith(readValue(bad, { key: 'x' }, signal), 'InvalidConfig', /failed to parse url: .*nosuchfunc/);
});

test('validate checks that the URL’s host accepts connections', async () => {
  const { client } = await connect({ url: `${api.url}/secrets/{{ .remoteRef.key }}` });
  assert.equal((await client.validate(signal)).state, 'Ready');
  const { client: down } = await connect({ url: 'http://127.0.0.1:1/x' });
  assert.equal((await down.validate(signal)).state, 'Error');
  assert.deepEqual(webhookProvider.validateStore({ method: 'GET' }, 'SecretStore'), [{ field: 'spec.provider.webhook.url', message: 'is required' }]);
});

test('egress: a namespaced store may not reach metadata or private addresses; the message names the rule, not a socket error', async () => {
  const strictCtx = (storeKind: 'SecretStore' | 'ClusterSecretStore') => {
    const { ctx } = testStoreContext({ spec: { url: 'http://169.254.169.254/latest/meta-data/{{ .remoteRef.key }}' }, kube: kube(), storeKind, namespace: 'default', egress: new EgressGuard(new EgressPolicy(), storeKind === 'SecretStore' ? 'tenant' : 'cluster') });
    return ctx;
  };
  for (const kind of ['SecretStore', 'ClusterSecretStore'] as const) {
    const client = await webhookProvider.connect(strictCtx(kind));
    const v = await client.validate(signal);
    assert.equal(v.state, 'Error');
    assert.equal(v.error?.code, 'EgressDenied');
    assert.match(v.message, /^webhook: 169\.254\.169\.254:80: egress to 169\.254\.169\.254 refused: 169\.254\.169\.254 is link-local .*--egress-allow/);
    await rejectsWith(readValue(client, { key: 'iam' }, signal), 'EgressDenied', /169\.254\.169\.254 is link-local/);
    await client.close();
  }
  const { ctx } = testStoreContext({ spec: { url: 'http://10.20.30.40:8080/{{ .remoteRef.key }}' }, kube: kube(), storeKind: 'SecretStore', namespace: 'default', egress: new EgressGuard(new EgressPolicy(), 'tenant') });
  const tenant = await webhookProvider.connect(ctx);
  assert.match((await tenant.validate(signal)).message, /10\.20\.30\.40 is private \(10\.0\.0\.0\/8\), which namespaced SecretStores and SopsSecrets may not reach/);
  await tenant.close();
});

test('egress: for a namespaced store, a closed port reads the same as any other failed connection', async () => {
  const { client } = await connect({ url: 'http://127.0.0.1:1/{{ .remoteRef.key }}' });
  const v = await client.validate(signal);
  assert.equal(v.state, 'Error');
  assert.equal(v.message, 'webhook: cannot connect to 127.0.0.1:1');
  await rejectsWith(readValue(client, { key: 'k' }, signal), 'Unavailable', /failed to call endpoint: connection failed$/);
  // A cluster admin's store keeps the socket's reason.
  const { client: admin } = await connect({ url: 'http://127.0.0.1:1/{{ .remoteRef.key }}' }, kube(), 'ClusterSecretStore');
  await rejectsWith(readValue(admin, { key: 'k' }, signal), 'Unavailable', /ECONNREFUSED/);
});

test('an answer over the store size limit fails with InvalidData naming the host and the limit', async () => {
  const { ctx } = testStoreContext({ spec: { url: `${api.url}/secrets/{{ .remoteRef.key }}` }, kube: kube(), namespace: 'default', maxResponseBytes: 8 });
  const client = await webhookProvider.connect(ctx);
  await rejectsWith(readValue(client, { key: 'plain' }, signal), 'InvalidData', /the answer from 127\.0\.0\.1:\d+ is larger than 8 bytes/);
  await client.close();
});

test('raw reads: the property is part of the request, so it is part of the raw ref; one answer serves value and map', async () => {
  const { client } = await connect({ url: `${api.url}/secrets/{{ .remoteRef.key }}?p={{ .remoteRef.property }}`, result: { jsonPath: '$.data' } });
  assert.equal(client.readsProperty, true);
  const a = rawRefOf(client, { key: 'db', property: 'username' });
  const b = rawRefOf(client, { key: 'db', property: 'password' });
  assert.deepEqual(a, { key: 'db', property: 'username' });
  assert.notEqual(rawRefKey(a), rawRefKey(b), 'two properties are two requests: the templates may use the property');
  const before = api.seen.length;
  const raw = await client.read(a, signal);
  assert.equal(api.seen.length - before, 1, 'one request');
  assert.equal(api.seen.at(-1)!.url, '/secrets/db?p=username', 'the property reached the URL template');
  assert.equal(raw.version, undefined, 'a webhook has no change marker');
  const m = client.projection.map(raw, { key: 'db', property: 'username' });
  assert.equal(text(m.get('username')!), 'admin');
  assert.equal(text(m.get('port')!), '5432');
  assert.equal(api.seen.length - before, 1, 'projecting sends nothing');
  await client.close();
});

test('the projection is pure: the same answer projects to the same bytes and is not changed by it', async () => {
  const { client } = await connect({ url: `${api.url}/secrets/{{ .remoteRef.key }}`, result: { jsonPath: '$.data.{{ .remoteRef.property }}' } });
  const ref = { key: 'db', property: 'nested' };
  const raw = await client.read(rawRefOf(client, ref), signal);
  const payload = raw.payload as { body: Uint8Array; path: string };
  const snapshot = { body: Buffer.from(payload.body).toString('utf8'), path: payload.path };
  const first = client.projection.value(raw, ref);
  const second = client.projection.value(raw, ref);
  assert.equal(text(first), '{"x":1}');
  assert.deepEqual(second, first);
  first.fill(0); // a reader that wipes its bytes must not wipe anyone else's
  assert.deepEqual(client.projection.value(raw, ref), second);
  assert.deepEqual({ body: Buffer.from(payload.body).toString('utf8'), path: payload.path }, snapshot);
  assert.equal(snapshot.path, '$.data.nested', 'the rendered jsonPath travels with the answer');
  // Without a jsonPath the body is the value: still a copy.
  const { client: plain } = await connect({ url: `${api.url}/raw/{{ .remoteRef.key }}` });
  const rawPlain = await plain.read({ key: 'plain' }, signal);
  plain.projection.value(rawPlain, { key: 'plain' }).fill(0);
  assert.equal(text(plain.projection.value(rawPlain, { key: 'plain' })), 'just text');
  await client.close();
  await plain.close();
});
