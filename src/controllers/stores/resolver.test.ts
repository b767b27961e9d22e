import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReferentSpec } from './resolver.ts';
import { matchesSelector } from './selector.ts';

test('a ClusterSecretStore is referent only when a reference lacks a namespace', () => {
  assert.equal(isReferentSpec({ server: 'x', auth: { tokenSecretRef: { name: 't', key: 'token', namespace: 'vault' } } }), false);
  assert.equal(isReferentSpec({ server: 'x', auth: { tokenSecretRef: { name: 't', key: 'token' } } }), true);
  assert.equal(isReferentSpec({ auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'sa' } } } }), true);
  assert.equal(isReferentSpec({ auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'sa', namespace: 'ops' } } } }), false);
  assert.equal(isReferentSpec({ data: [{ key: 'k', value: 'v' }] }), false, 'fake provider data is not a reference');
});

test('label selectors: matchLabels and every matchExpressions operator', () => {
  const labels = { team: 'a', tier: 'web' };
  assert.equal(matchesSelector({ matchLabels: { team: 'a' } }, labels), true);
  assert.equal(matchesSelector({ matchLabels: { team: 'b' } }, labels), false);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, labels), true);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels), false);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels), true);
  assert.equal(matchesSelector({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels), false);
  assert.equal(matchesSelector({}, undefined), true, 'an empty selector selects everything');
});
