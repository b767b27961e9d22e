import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretValid, planTarget, type SecretObject } from './target.ts';
import { dataHash } from './hash.ts';
import type { ExternalSecretObject } from './spec.ts';

const b = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => Buffer.from(s).toString('base64');

function es(target: ExternalSecretObject['spec']['target'] = {}): ExternalSecretObject {
  return { metadata: { name: 'db', namespace: 'ns', uid: 'es-uid', generation: 1, labels: { team: 'a' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'x' } }, spec: { target, data: [] } };
}

test('Owner: a new Secret carries the managed label, created-by, data hash and a controller ownerReference', () => {
  const plan = planTarget(es(), undefined, new Map([['password', b('p')]]));
  assert.equal(plan.action, 'create');
  if (plan.action !== 'create') return;
  const s = plan.secret;
  assert.equal(s.metadata.labels?.['reconcile.external-secrets.io/managed'], 'true');
  assert.match(s.metadata.labels?.['reconcile.external-secrets.io/created-by'] ?? '', /^[0-9a-f]{56}$/);
  assert.equal(s.metadata.labels?.team, 'a');
  assert.equal(s.metadata.annotations?.note, 'x');
  assert.equal(s.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined, 'kubectl bookkeeping is not copied');
  assert.equal(s.metadata.annotations?.['reconcile.external-secrets.io/data-hash'], dataHash({ password: b('p') }));
  assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'db', uid: 'es-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(s.data, { password: b64('p') });
});

test('Owner refuses a Secret controlled by someone else, without writing', () => {
  const existing: SecretObject = { metadata: { name: 'db', namespace: 'ns', ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'other', uid: 'other-uid', controller: true }] }, data: {} };
  assert.throws(() => planTarget(es(), existing, new Map([['a', b('1')]])), (err: Error & { retryable?: boolean }) => /owned by ExternalSecret "other"/.test(err.message) && err.retryable === false);
});

test('an immutable Secret whose data would change is an error that names the fix', () => {
  const existing: SecretObject = { metadata: { name: 'db', namespace: 'ns' }, immutable: true, data: { a: b64('old') } };
  assert.throws(() => planTarget(es({ immutable: true }), existing, new Map([['a', b('new')]])), /is immutable and its data would change; delete it/);
});

test('no write when nothing changed', () => {
  const first = planTarget(es(), undefined, new Map([['a', b('1')]]));
  assert.ok(first.action === 'create');
  const existing = { ...first.secret, metadata: { ...first.secret.metadata, resourceVersion: '5' } };
  const again = planTarget(es(), existing, new Map([['a', b('1')]]));
  assert.ok(again.action === 'update' && again.changed === false);
  assert.equal(isSecretValid(es(), existing), true);
  assert.equal(isSecretValid(es(), { ...existing, data: { a: b64('tampered') } }), false, 'edited data no longer matches the hash');
});

test('Merge keeps foreign keys out of what is written and needs an existing Secret; None never writes', () => {
  assert.deepEqual(planTarget(es({ creationPolicy: 'Merge' }), undefined, new Map([['a', b('1')]])), { action: 'missing', reason: 'MergeTargetMissing' });
  const existing: SecretObject = { metadata: { name: 'db', namespace: 'ns', resourceVersion: '3' }, data: { theirs: b64('t') } };
  const plan = planTarget(es({ creationPolicy: 'Merge' }), existing, new Map([['a', b('1')]]));
  assert.ok(plan.action === 'update' && plan.mergeKeys);
  assert.deepEqual(plan.secret.data, { a: b64('1') }, 'only our keys are applied; theirs stay under their manager');
  assert.equal(plan.secret.metadata.annotations?.['reconcile.external-secrets.io/data-hash'], dataHash({ theirs: b('t'), a: b('1') }), 'the hash covers the merged Secret');
  assert.deepEqual(planTarget(es({ creationPolicy: 'None' }), existing, new Map([['a', b('1')]])), { action: 'none', reason: 'CreationPolicyNone' });
});

test('Orphan removes our ownerReference from a Secret we used to own', () => {
  const existing: SecretObject = { metadata: { name: 'db', namespace: 'ns', ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'db', uid: 'es-uid', controller: true }] }, data: { a: b64('1') } };
  const plan = planTarget(es({ creationPolicy: 'Orphan' }), existing, new Map([['a', b('1')]]));
  assert.ok(plan.action === 'update' && plan.changed);
  assert.deepEqual(plan.secret.metadata.ownerReferences, []);
});

test('Merge drops the keys this ExternalSecret wrote before and no longer produces, and only those', () => {
  const existing: SecretObject = {
    metadata: {
      name: 'db', namespace: 'ns', resourceVersion: '7',
      managedFields: [
        { manager: 'externalsecrets.external-secrets.io/db', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:old': {} } } },
        { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': { 'f:theirs': {} } } },
      ],
    },
    data: { a: b64('1'), old: b64('gone'), theirs: b64('t') },
  };
  const plan = planTarget(es({ creationPolicy: 'Merge' }), existing, new Map([['a', b('1')]]));
  assert.ok(plan.action === 'update');
  assert.deepEqual(plan.staleKeys, ['old']);
  assert.equal(plan.changed, true, 'removing a key is a change even when the rest is equal');
  assert.equal(plan.secret.metadata.annotations?.['reconcile.external-secrets.io/data-hash'], dataHash({ a: b('1'), theirs: b('t') }));
});

test('labels and annotations this ExternalSecret set before and no longer produces are removed; others stay', () => {
  const existing: SecretObject = {
    metadata: {
      name: 'db', namespace: 'ns', resourceVersion: '9',
      labels: { app: 'old', keep: 'theirs', 'reconcile.external-secrets.io/managed': 'true' },
      annotations: { note: 'old', 'theirs/a': '1' },
      managedFields: [
        { manager: 'externalsecrets.external-secrets.io/db', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {}, 'f:reconcile.external-secrets.io/managed': {} }, 'f:annotations': { 'f:note': {} } } } },
        { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:keep': {} }, 'f:annotations': { 'f:theirs/a': {} } } } },
      ],
    },
    data: {},
  };
  const templated = es({ template: { metadata: { labels: { tier: 'db' } }, data: { a: '1' } } });
  const plan = planTarget(templated, existing, { data: new Map([['a', b('1')]]), labels: { tier: 'db' }, annotations: {}, templated: true });
  assert.ok(plan.action === 'update' && plan.changed);
  assert.equal(plan.secret.metadata.labels?.app, undefined, 'our old label removed');
  assert.equal(plan.secret.metadata.labels?.keep, 'theirs');
  assert.equal(plan.secret.metadata.labels?.tier, 'db');
  assert.equal(plan.secret.metadata.annotations?.note, undefined);
  assert.equal(plan.secret.metadata.annotations?.['theirs/a'], '1');
});
