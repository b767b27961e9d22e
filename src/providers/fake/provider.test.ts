import assert from 'node:assert/strict';
import { devEgress } from '../../net/testing/egress.ts';
import { describe, it } from 'node:test';
import { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy } from '../ambient.ts';
import type { StoreClient, StoreContext } from '../types.ts';
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
    assert.equal(text(await c.getSecret({ key: '/foo/bar' }, signal)), 'HELLO1');
    assert.equal(text(await c.getSecret({ key: '/foo/bar', version: 'v2' }, signal)), 'HELLO2');
    await assert.rejects(c.getSecret({ key: '/foo/baz' }, signal), { code: 'NotFound' }); // only exists as v1
    await assert.rejects(c.getSecret({ key: 'nope' }, signal), { code: 'NotFound' });
  });

  void it('reads properties as gjson paths', async () => {
    const c = await connect(spec);
    assert.equal(text(await c.getSecret({ key: 'json', property: 'user' }, signal)), 'admin');
    assert.equal(text(await c.getSecret({ key: 'json', property: 'nested.k' }, signal)), 'v');
    assert.equal(text(await c.getSecret({ key: 'json', property: 'list.1' }, signal)), '2');
    await assert.rejects(c.getSecret({ key: 'json', property: 'missing' }, signal), { code: 'NotFound' });
  });

  void it('splits JSON values for extract, keeping raw JSON for non-strings', async () => {
    const c = await connect(spec);
    const m = await c.getSecretMap({ key: '/foo/baz', version: 'v1' }, signal);
    assert.deepEqual(Object.fromEntries([...m].map(([k, v]) => [k, text(v)])), { john: 'doe', n: '1.50', o: '{"a" : 1}' });
    const legacy = await c.getSecretMap({ key: 'legacy' }, signal);
    assert.deepEqual(Object.fromEntries([...legacy].map(([k, v]) => [k, text(v)])), { a: '1', b: '2' });
    await assert.rejects(c.getSecretMap({ key: '/foo/bar' }, signal), { code: 'InvalidData' });
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
