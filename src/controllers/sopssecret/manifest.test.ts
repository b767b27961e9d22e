import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SopsSecretError } from './errors.ts';
import { secretContentFromManifest } from './manifest.ts';

const owner = { namespace: 'team-a', name: 'db' };
const subject = 'SopsSecret "team-a/db"';

function content(m: unknown) {
  return secretContentFromManifest(m, owner, subject);
}

function rejects(m: unknown, pattern: RegExp): SopsSecretError {
  let caught: unknown;
  try {
    content(m);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SopsSecretError, 'expected an InvalidManifest error');
  assert.equal(caught.reason, 'InvalidManifest');
  assert.equal(caught.retryable, false, 'only a change to the SopsSecret can fix a manifest');
  assert.match(caught.message, /^SopsSecret "team-a\/db": /);
  assert.match(caught.message, pattern);
  return caught;
}

test('a Secret manifest becomes its content: stringData merged into data and winning, name defaulting to the SopsSecret\'s', () => {
  const c = content({
    apiVersion: 'v1', kind: 'Secret',
    metadata: { labels: { app: 'db' }, annotations: { note: 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, creationTimestamp: null },
    type: 'kubernetes.io/basic-auth',
    data: { username: Buffer.from('admin').toString('base64'), password: Buffer.from('old').toString('base64'), empty: '' },
    stringData: { password: 'new', extra: 'e' },
  });
  assert.equal(c.name, 'db');
  assert.equal(c.type, 'kubernetes.io/basic-auth');
  assert.equal(c.immutable, false);
  assert.deepEqual(c.labels, { app: 'db' });
  assert.deepEqual(c.annotations, { note: 'x' });
  assert.deepEqual(Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, v.toString()])), { username: 'admin', password: 'new', empty: '', extra: 'e' });
});

test('metadata.name and the SopsSecret\'s own namespace are honoured; type defaults to Opaque; immutable is kept', () => {
  const c = content({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'team-a' }, immutable: true });
  assert.equal(c.name, 'db-credentials');
  assert.equal(c.type, 'Opaque');
  assert.equal(c.immutable, true);
  assert.deepEqual(c.data, {});
});

test('data accepts base64 broken over lines, as the API server does', () => {
  const c = content({ apiVersion: 'v1', kind: 'Secret', data: { k: 'aGVs\nbG8=' } });
  assert.equal(c.data.k?.toString(), 'hello');
});

test('a manifest that is not a v1 Secret is refused, naming what it is', () => {
  rejects({ apiVersion: 'v1', kind: 'ConfigMap', data: {} }, /apiVersion "v1" kind "ConfigMap"; a SopsSecret holds only a v1 Secret/);
  rejects({ apiVersion: 'apps/v1', kind: 'Deployment' }, /kind "Deployment"/);
  rejects(['a', 'list'], /is a list, not a v1 Secret/);
  rejects({ apiVersion: 'v1', kind: 'Secret', spec: {} }, /has the field "spec"/);
});

test('a manifest for another namespace is refused: a SopsSecret writes only into its own', () => {
  rejects({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'kube-system' } }, /is for namespace "kube-system", but the SopsSecret is in "team-a"/);
});

test('bad values are reported by key, never by value', () => {
  const secretish = 'p@ss word!!';
  for (const m of [
    { apiVersion: 'v1', kind: 'Secret', data: { password: secretish } },
    { apiVersion: 'v1', kind: 'Secret', stringData: { port: 5432 } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretish } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { labels: { l: 5 } } },
    { apiVersion: 'v1', kind: 'Secret', kind2: 1 },
  ]) {
    let message = '';
    try {
      content(m);
    } catch (err) {
      message = (err as Error).message;
    }
    assert.notEqual(message, '', JSON.stringify(Object.keys(m)));
    assert.ok(!message.includes(secretish), message);
  }
  rejects({ apiVersion: 'v1', kind: 'Secret', data: { password: 'not base64!' } }, /data\["password"\] that is not valid base64/);
  rejects({ apiVersion: 'v1', kind: 'Secret', stringData: { port: 5432 } }, /stringData\["port"\] that is a number, not a string\. Fix: quote it/);
  rejects({ apiVersion: 'v1', kind: 'Secret', stringData: { 'bad key': 'v' } }, /stringData has a key that is not a valid Secret key/);
  rejects({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'Not_A_Name' } }, /metadata\.name (\(not shown\)|"Not_A_Name"), which is not a valid Secret name/);
});

test('credential-minting types are refused and built-in types must carry their keys, before any write', () => {
  const owner = { namespace: 'ns', name: 'db' };
  const base = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } };
  assert.throws(() => secretContentFromManifest({ ...base, type: 'kubernetes.io/service-account-token', stringData: { a: 'b' } }, owner, 'SopsSecret ns/db'), /type kubernetes\.io\/service-account-token, which Hush does not write/);
  assert.throws(() => secretContentFromManifest({ ...base, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c' } }, owner, 'SopsSecret ns/db'), /requires/);
  assert.equal(secretContentFromManifest({ ...base, type: 'kubernetes.io/basic-auth', stringData: { password: 'p' } }, owner, 'SopsSecret ns/db').type, 'kubernetes.io/basic-auth');
});
