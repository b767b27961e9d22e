import assert from 'node:assert/strict';
import { devEgress } from '../../net/testing/egress.ts';
import { describe, it } from 'node:test';
import { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy } from '../ambient.ts';
import type { StoreClient, StoreContext } from '../types.ts';
import { rawRefKey, rawRefOf, readMap, readValue } from '../../read/rawref.ts';
import { fakeProvider } from './provider.ts';

const signal = new AbortController().signal;
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function connect(spec: unknown): Promise<StoreClient> {
  const ctx: StoreContext = {
    storeKind: 'SecretStore',
    storeName: 'fake',
    namespace: 'default',
    spec,
    storeSpec: {},
    kube: {
      readSecretKey: () => Promise.reject(new Error('unused')),
      readConfigMapKey: () => Promise.reject(new Error('unused')),
      createServiceAccountToken: () => Promise.reject(new Error('unused')),
    },
    credentials: storeCredentialPolicy(DEFAULT_CREDENTIAL_POLICY, { storeKind: 'SecretStore', namespace: 'default' }),
    recordCall: () => {},
    signal,
    egress: devEgress(),
  };
  return fakeProvider.connect(ctx);
}

const spec = {
  data: [
    { key: '/foo/bar', value: 'HELLO1' },
    { key: '/foo/bar', value: 'HELLO2', version: 'v2' },
    { key: '/foo/baz', value: '{"john": "doe", "n": 1.50, "o": {"a" : 1}}', version: 'v1' },
    { key: 'json', value: '{"user":"admin","nested":{"k":"v"},"list":[1,2]}' },
    { key: 'legacy', valueMap: { b: '2', a: '1' } },
  ],
};

void describe('fake provider', () => {
  void it('returns values by key and version', async () => {
    const c = await connect(spec);
    assert.equal(text(await readValue(c, { key: '/foo/bar' }, signal)), 'HELLO1');
    assert.equal(text(await readValue(c, { key: '/foo/bar', version: 'v2' }, signal)), 'HELLO2');
    await assert.rejects(readValue(c, { key: '/foo/baz' }, signal), { code: 'NotFound' }); // only exists as v1
    await assert.rejects(readValue(c, { key: 'nope' }, signal), { code: 'NotFound' });
  });

  void it('reads properties as gjson paths', async () => {
    const c = await connect(spec);
    assert.equal(text(await readValue(c, { key: 'json', property: 'user' }, signal)), 'admin');
    assert.equal(text(await readValue(c, { key: 'json', property: 'nested.k' }, signal)), 'v');
    assert.equal(text(await readValue(c, { key: 'json', property: 'list.1' }, signal)), '2');
    await assert.rejects(readValue(c, { key: 'json', property: 'missing' }, signal), { code: 'NotFound' });
  });

  void it('splits JSON values for extract, keeping raw JSON for non-strings', async () => {
    const c = await connect(spec);
    const m = await readMap(c, { key: '/foo/baz', version: 'v1' }, signal);
    assert.deepEqual(Object.fromEntries([...m].map(([k, v]) => [k, text(v)])), { john: 'doe', n: '1.50', o: '{"a" : 1}' });
    const legacy = await readMap(c, { key: 'legacy' }, signal);
    assert.deepEqual(Object.fromEntries([...legacy].map(([k, v]) => [k, text(v)])), { a: '1', b: '2' });
    await assert.rejects(readMap(c, { key: '/foo/bar' }, signal), { code: 'InvalidData' });
  });

  void it('reads two properties of one key with one raw read, projected twice', async () => {
    const c = await connect(spec);
    const user = { key: 'json', property: 'user' };
    const nested = { key: 'json', property: 'nested.k' };
    assert.equal(rawRefKey(rawRefOf(c, user)), rawRefKey(rawRefOf(c, nested)));
    // The fake has no server to count calls on: what matters is that the raw ref drops the property.
    const raw = await c.read(rawRefOf(c, user), signal);
    assert.equal(text(c.projection.value(raw, user)), 'admin');
    assert.equal(text(c.projection.value(raw, nested)), 'v');
    assert.throws(() => c.projection.value(raw, { key: 'json', property: 'missing' }), { code: 'NotFound' });
  });

  void it('gives no version marker: an entry\'s version is the name a ref asks for, not a revision', async () => {
    const c = await connect(spec);
    assert.equal((await c.read({ key: '/foo/bar' }, signal)).version, undefined);
    assert.equal((await c.read({ key: '/foo/bar', version: 'v2' }, signal)).version, undefined);
  });

  void it('projects purely: the same raw secret gives the same bytes twice and is left as it was', async () => {
    const c = await connect(spec);
    const raw = await c.read({ key: 'json' }, signal);
    const before = JSON.stringify(raw);
    const first = c.projection.value(raw, { key: 'json' });
    first.fill(0);
    assert.deepEqual(c.projection.value(raw, { key: 'json' }), c.projection.value(raw, { key: 'json' }));
    assert.equal(text(c.projection.value(raw, { key: 'json', property: 'user' })), 'admin');
    c.projection.map(raw, { key: 'json' });
    assert.equal(JSON.stringify(raw), before);
    assert.ok(Object.isFrozen(raw.payload));
  });

  void it('finds by name regexp, taking the highest version of each key', async () => {
    const c = await connect(spec);
    const m = await c.findSecrets({ name: { regexp: '^/foo' } }, signal);
    assert.deepEqual(Object.fromEntries([...m].map(([k, v]) => [k, text(v)])), { '/foo/bar': 'HELLO2', '/foo/baz': '{"john": "doe", "n": 1.50, "o": {"a" : 1}}' });
    await assert.rejects(c.findSecrets({ tags: { a: 'b' } }, signal), { code: 'NotSupported' });
  });

  void it('validates as configured', async () => {
    assert.equal((await (await connect(spec)).validate(signal)).state, 'Ready');
    assert.equal((await (await connect({ ...spec, validationResult: 'Error' })).validate(signal)).state, 'Error');
  });

  void it('reports spec problems by field', () => {
    assert.deepEqual(fakeProvider.validateStore({ data: [{ value: 'x' }, { key: 'k' }] }, 'SecretStore'), [
      { field: 'spec.provider.fake.data[0].key', message: 'key must be set' },
      { field: 'spec.provider.fake.data[1].value', message: 'at least one value must be set' },
    ]);
  });
});
