import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  effectiveCreationPolicy,
  effectiveDeletionPolicy,
  effectiveRefreshInterval,
  effectiveRefreshPolicy,
  targetName,
} from './externalsecret.ts';
import { isImplementedProvider, providerKeyOf, providerKeys } from './providers/index.ts';

void test('an ExternalSecret without target/refresh settings gets ESO\'s defaults in code', () => {
  const spec = { data: [] };
  assert.equal(effectiveCreationPolicy(spec), 'Owner');
  assert.equal(effectiveDeletionPolicy(spec), 'Retain');
  assert.equal(effectiveRefreshPolicy(spec), 'Periodic');
  assert.equal(effectiveRefreshInterval(spec), '1h');
  assert.equal(effectiveRefreshInterval({ refreshInterval: '' }), '1h');
  assert.equal(targetName({ metadata: { name: 'db' }, spec }), 'db');
});

void test('values written in the spec win over defaults; "0" stays "0" (sync once)', () => {
  const spec = {
    refreshInterval: '0',
    refreshPolicy: 'OnChange' as const,
    target: { name: 'other', creationPolicy: 'Merge' as const, deletionPolicy: 'Delete' as const },
  };
  assert.equal(effectiveRefreshInterval(spec), '0');
  assert.equal(effectiveRefreshPolicy(spec), 'OnChange');
  assert.equal(effectiveCreationPolicy(spec), 'Merge');
  assert.equal(effectiveDeletionPolicy(spec), 'Delete');
  assert.equal(targetName({ metadata: { name: 'db' }, spec }), 'other');
});

void test('the provider key of a store is found, and told apart from implemented ones', () => {
  assert.equal(providerKeyOf({ vault: { server: 'x' } }), 'vault');
  assert.equal(providerKeyOf({ vault: { server: 'x' }, fake: null }), 'vault');
  assert.equal(providerKeyOf({}), undefined);
  assert.equal(providerKeyOf({ vault: {}, fake: {} }), undefined);
  assert.ok(isImplementedProvider('vault') && isImplementedProvider('kubernetes') && isImplementedProvider('fake'));
  assert.ok(!isImplementedProvider('aws') && !isImplementedProvider('openBao'));
  assert.equal(new Set(providerKeys).size, providerKeys.length);
});
