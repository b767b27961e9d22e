/**
 * Redaction of an ExternalSecret's failure (redaction.ts, read/apply.ts): the
 * values read are cut out of an error raised half-way through applying the
 * answers, and names from the manifest stay whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnavailableError } from '../../util/errors.ts';
import { fakeProvider } from '../../providers/fake/provider.ts';
import type { StoreClient, StoreContext } from '../../providers/types.ts';
import { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy } from '../../providers/ambient.ts';
import { devEgress } from '../../net/testing/egress.ts';
import type { ReadLog } from '../../read/apply.ts';
import { syncOnce } from '../../read/testing/sync.ts';
import { redactFailure } from './redaction.ts';
import type { ExternalSecretObject } from './spec.ts';

const signal = new AbortController().signal;

function fakeStore(data: { key: string; value: string }[]): Promise<StoreClient> {
  const ctx: StoreContext = {
    storeKind: 'SecretStore',
    storeName: 'fake',
    egress: devEgress(),
    credentials: storeCredentialPolicy(DEFAULT_CREDENTIAL_POLICY, { storeKind: 'SecretStore', namespace: 'ns' }),
    namespace: 'ns',
    spec: { data },
    storeSpec: {},
    kube: {
      readSecretKey: () => Promise.reject(new Error('unused')),
      readConfigMapKey: () => Promise.reject(new Error('unused')),
      createServiceAccountToken: () => Promise.reject(new Error('unused')),
    },
    recordCall: () => {},
    signal,
  };
  return fakeProvider.connect(ctx);
}

/**
 * Stands in for a store whose error text quotes what it was told or holds (no Hush provider is
 * known to do so; an unknown server may). Its answer echoes the value the other store returned.
 */
function echoingStore(echo: () => string): StoreClient {
  const fail = () => Promise.reject(new UnavailableError(`echo: upstream said: "${echo()}" is not allowed here`));
  return { projection: { value: () => new Uint8Array(0), map: () => new Map() }, read: fail, findSecrets: fail, validate: () => Promise.resolve({ state: 'Ready' }), close: () => Promise.resolve() } as unknown as StoreClient;
}

test('an error raised half-way through applying the answers is redacted of the values read, names from the manifest stay whole', async () => {
  const canary = 'CANARY-5e1f0a9c';
  const store = await fakeStore([
    { key: 'extract-unicode-key', value: 'unicode' },
    { key: 'db', value: JSON.stringify({ password: canary }) },
  ]);
  let read = '';
  const echo = echoingStore(() => read);
  const es: ExternalSecretObject = {
    metadata: { name: 'extract-unicode-key', namespace: 'ns' },
    spec: {
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'db' } }],
      data: [
        { secretKey: 'mode', remoteRef: { key: 'extract-unicode-key' } },
        { secretKey: 'later', remoteRef: { key: 'extract-unicode-key/echo' }, sourceRef: { storeRef: { name: 'echo' } } },
      ],
    },
  };
  const seen: ReadLog = { values: [], names: [] };
  for (const r of [canary, 'unicode']) {
    read = r;
    const err = await syncOnce(es.spec, { fake: store, echo }, seen).then(() => assert.fail('expected a failure'), (e: unknown) => e as UnavailableError);
    assert.ok(err.message.includes(r), 'the stand-in echoed the value (the test can see a leak)');
    const shown = redactFailure(es, err, seen).message;
    assert.ok(!shown.includes(`"${r}"`), `the echoed value is cut: ${shown}`);
    assert.ok(!shown.includes(canary), shown);
    assert.match(shown, /upstream said: "\[redacted\]" is not allowed here$/);
    // The value "unicode" is part of names from the manifest: those are not touched.
    assert.match(shown, /^spec\.data\[1\] \(key: later\): SecretStore "echo": key "extract-unicode-key\/echo": /, shown);
  }
});

test('the contexts Hush put in front of a store\'s error are not searched: a value that is also a word there leaves them whole', async () => {
  const store = await fakeStore([{ key: 'k', value: 'SecretStore' }]);
  const echo = echoingStore(() => 'SecretStore');
  const es: ExternalSecretObject = {
    metadata: { name: 'app', namespace: 'ns' },
    spec: { data: [{ secretKey: 'a', remoteRef: { key: 'k' } }, { secretKey: 'b', remoteRef: { key: 'x' }, sourceRef: { storeRef: { name: 'echo' } } }] },
  };
  const seen: ReadLog = { values: [], names: [] };
  const err = await syncOnce({ ...es.spec, secretStoreRef: { name: 'fake' } }, { fake: store, echo }, seen).then(() => assert.fail('expected a failure'), (e: unknown) => e as UnavailableError);
  assert.equal(redactFailure(es, err, seen).message, 'spec.data[1] (key: b): SecretStore "echo": key "x": echo: upstream said: "[redacted]" is not allowed here');
});

test('redaction leaves a name that contains a value whole, and still cuts a value that reaches beyond a name', () => {
  const es: ExternalSecretObject = { metadata: { name: 'app', namespace: 'ns' }, spec: { target: { name: 'extract-unicode-key' }, data: [] } };
  const seen: ReadLog = { values: [new TextEncoder().encode('unicode'), new TextEncoder().encode('key-and-more')], names: [] };
  const err = new UnavailableError('Secret "extract-unicode-key" is invalid: data: Invalid value: "unicode", "extract-unicode-key-and-more"');
  assert.equal(redactFailure(es, err, seen).message, 'Secret "extract-unicode-key" is invalid: data: Invalid value: "[redacted]", "extract-unicode-[redacted]"');
});
