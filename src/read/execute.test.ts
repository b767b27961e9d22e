/**
 * Plan → read → apply without a cluster: which reads a spec makes, and which
 * error a sync reports when several steps fail. The store client is the fake
 * provider's (ESO's fake semantics) wrapped to count its raw reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeProvider } from '../providers/fake/provider.ts';
import type { RawRef, StoreClient } from '../providers/types.ts';
import { MemoryKube, testStoreContext } from '../providers/util/testing/memoryKube.ts';
import { NotFoundError } from '../util/errors.ts';
import { planReads } from './plan.ts';
import { syncOnce } from './testing/sync.ts';

async function countingFake(data: { key: string; value: string }[]): Promise<{ client: StoreClient; reads: string[] }> {
  const inner = await fakeProvider.connect(testStoreContext({ spec: { data }, kube: new MemoryKube() }).ctx);
  const reads: string[] = [];
  const client: StoreClient = {
    projection: inner.projection,
    read: (ref: RawRef, signal: AbortSignal) => {
      reads.push(ref.key);
      return inner.read(ref, signal);
    },
    findSecrets: (f, s) => inner.findSecrets(f, s),
    validate: (s) => inner.validate(s),
    close: () => inner.close(),
  };
  return { client, reads };
}

const utf8 = (m: Map<string, Uint8Array>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, Buffer.from(v).toString('utf8')]));

test('two properties of one key, and the same key extracted, are one read', async () => {
  const { client, reads } = await countingFake([{ key: 'db', value: JSON.stringify({ user: 'app', password: 'pw' }) }]);
  const out = await syncOnce(
    {
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'db' } }],
      data: [
        { secretKey: 'u', remoteRef: { key: 'db', property: 'user' } },
        { secretKey: 'p', remoteRef: { key: 'db', property: 'password' } },
      ],
    },
    { fake: client },
  );
  assert.deepEqual(utf8(out.data), { user: 'app', password: 'pw', u: 'app', p: 'pw' });
  assert.deepEqual(reads, ['db']);
});

test('the error reported is the first failing step in ESO order, whichever store answered first', async () => {
  const { client } = await countingFake([{ key: 'ok', value: 'v' }]);
  let release: () => void = () => undefined;
  const slow: StoreClient = {
    ...client,
    read: () => new Promise((_, reject) => (release = () => reject(new NotFoundError('slow: no such key')))),
  };
  const sync = syncOnce(
    {
      secretStoreRef: { name: 'slow' },
      data: [
        { secretKey: 'a', remoteRef: { key: 'first' } },
        { secretKey: 'b', remoteRef: { key: 'missing-too' }, sourceRef: { storeRef: { name: 'fake' } } },
      ],
    },
    { slow, fake: client },
  );
  setTimeout(() => release(), 20);
  await assert.rejects(sync, (e: Error) => e.message === 'spec.data[0] (key: a): SecretStore "slow": key "first": slow: no such key');
});

test('under deletionPolicy Delete a secret missing at the provider is skipped, a store that cannot be resolved never is', async () => {
  const { client } = await countingFake([{ key: 'here', value: 'v' }]);
  const spec = {
    secretStoreRef: { name: 'fake' },
    target: { deletionPolicy: 'Delete' as const },
    data: [
      { secretKey: 'h', remoteRef: { key: 'here' } },
      { secretKey: 'g', remoteRef: { key: 'gone' } },
    ],
  };
  const out = await syncOnce(spec, { fake: client });
  assert.deepEqual(utf8(out.data), { h: 'v' });
  assert.deepEqual(out.missing, ['spec.data[1] (key: g)']);
  await assert.rejects(syncOnce({ ...spec, data: [...spec.data, { secretKey: 'x', remoteRef: { key: 'here' }, sourceRef: { storeRef: { name: 'typo' } } }] }, { fake: client }), /test: no store typo/);
});

test('a plan is built from the spec alone, and an entry that reads nothing fails it with the field', () => {
  const plan = planReads({ dataFrom: [{ find: { name: { regexp: '^db' } }, rewrite: [{ regexp: { source: 'db', target: 'x' } }] }], data: [{ secretKey: 'k', remoteRef: { key: 'a', version: '3', metadataPolicy: 'Fetch' } }] });
  assert.deepEqual(plan.steps.map((s) => [s.kind, s.field]), [['find', 'spec.dataFrom[0]'], ['value', 'spec.data[0] (key: k)']]);
  assert.deepEqual(plan.steps[1]!.kind === 'value' && plan.steps[1]!.ref, { key: 'a', version: '3', metadataPolicy: 'Fetch' });
  assert.throws(() => planReads({ dataFrom: [{}] }), /spec\.dataFrom\[0\]: set one of extract or find/);
});
