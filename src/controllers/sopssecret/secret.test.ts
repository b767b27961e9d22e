import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SopsSecretError } from './errors.ts';
import type { SecretContent } from './manifest.ts';
import type { SopsSecretObject } from './resources.ts';
import { isUpToDate, planWrite, secretBody, wantedSecret } from './secret.ts';

const sops: SopsSecretObject = { metadata: { name: 'db', namespace: 'team-a', uid: 'uid-1', generation: 1 }, spec: { encrypted: 'x' } };
const content: SecretContent = { name: 'db', type: 'Opaque', immutable: false, labels: { app: 'db' }, annotations: {}, data: { password: Buffer.from('s3cret') } };
const want = wantedSecret(content, sops);

test('the Secret carries the manifest\'s metadata, the managed label, the data hash and a controller ownerReference', () => {
  const s = secretBody(want, content.data);
  assert.equal(s.metadata.labels?.['secrets.hush.dev/managed'], 'true');
  assert.equal(s.metadata.labels?.app, 'db');
  assert.match(s.metadata.annotations?.['secrets.hush.dev/data-hash'] ?? '', /^[0-9a-f]{56}$/);
  assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'secrets.hush.dev/v1alpha1', kind: 'SopsSecret', name: 'db', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
  assert.equal(s.data?.password, Buffer.from('s3cret').toString('base64'));
  assert.equal(s.immutable, undefined);
  assert.equal(planWrite(undefined, want, 'S'), 'create');
  assert.ok(isUpToDate({ ...s, metadata: { ...s.metadata, uid: 'sec' } }, want));
});

test('drift is seen: changed or extra data, a lost label, another type; labels others add are tolerated', () => {
  const s = { ...secretBody(want, content.data), metadata: { ...secretBody(want, content.data).metadata, uid: 'sec', resourceVersion: '5' } };
  assert.equal(planWrite(s, want, 'S'), 'none');
  assert.equal(planWrite({ ...s, data: { password: Buffer.from('edited').toString('base64') } }, want, 'S'), 'replace');
  assert.equal(planWrite({ ...s, data: { ...s.data, extra: 'eA==' } }, want, 'S'), 'replace');
  assert.equal(planWrite({ ...s, metadata: { ...s.metadata, labels: { app: 'db' } } }, want, 'S'), 'replace');
  assert.equal(planWrite({ ...s, type: 'kubernetes.io/tls' }, want, 'S'), 'recreate');
  assert.equal(planWrite({ ...s, immutable: true, data: {} }, want, 'S'), 'recreate');
  assert.equal(planWrite({ ...s, metadata: { ...s.metadata, labels: { ...s.metadata.labels, 'other.io/mark': 'x' } } }, want, 'S'), 'none');
});

test('a replace keeps what others added (labels, annotations, finalizers, non-controller owners)', () => {
  const existing = {
    metadata: {
      name: 'db', namespace: 'team-a', uid: 'sec', resourceVersion: '7', labels: { mine: 'x' }, annotations: { 'reloader/mark': 'y' }, finalizers: ['keep/me'],
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'cm' }, want.owner],
    },
    data: {},
  };
  const s = secretBody(want, content.data, existing);
  assert.equal(s.metadata.resourceVersion, '7');
  assert.equal(s.metadata.labels?.mine, 'x');
  assert.equal(s.metadata.annotations?.['reloader/mark'], 'y');
  assert.deepEqual(s.metadata.finalizers, ['keep/me']);
  assert.deepEqual(s.metadata.ownerReferences?.map((r) => r.uid), ['cm', 'uid-1']);
});

test('a Secret this SopsSecret does not control is never planned for a write', () => {
  for (const ownerReferences of [undefined, [{ apiVersion: 'secrets.hush.dev/v1alpha1', kind: 'SopsSecret', name: 'other', uid: 'uid-2', controller: true }]]) {
    const existing = { metadata: { name: 'db', namespace: 'team-a', uid: 'sec', ...(ownerReferences ? { ownerReferences } : {}) }, data: {} };
    assert.throws(() => planWrite(existing, want, 'SopsSecret "team-a/db"'), (err: unknown) => {
      assert.ok(err instanceof SopsSecretError);
      assert.equal(err.reason, 'SecretConflict');
      assert.match(err.message, /Secret "team-a\/db" already exists and (was not created by this SopsSecret|is controlled by SopsSecret "other"); it is left as it is/);
      return true;
    });
  }
});
