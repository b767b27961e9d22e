import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCrds, crdForKind, schemaFor } from '../crd.ts';
import { validateManifest } from '../validate.ts';
import type { JsonSchema } from '../schema.ts';

void test('SopsSecret is served in its own group, v1alpha1 stored, with status subresource, columns and category', () => {
  const c = crdForKind('SopsSecret');
  assert.ok(c);
  assert.equal(c.metadata.name, 'sopssecrets.secrets.hush.dev');
  assert.equal(c.spec.group, 'secrets.hush.dev');
  assert.equal(c.spec.scope, 'Namespaced');
  assert.deepEqual(c.spec.names.categories, ['hush']);
  assert.deepEqual(c.spec.names.shortNames, ['sops']);
  assert.deepEqual(c.metadata.labels, { 'app.kubernetes.io/part-of': 'hush' });
  assert.equal(c.spec.versions.length, 1);
  const [v] = c.spec.versions;
  assert.deepEqual([v!.name, v!.served, v!.storage, v!.deprecated], ['v1alpha1', true, true, undefined]);
  assert.deepEqual(v!.subresources, { status: {} });
  assert.deepEqual(v!.additionalPrinterColumns.map((p) => p.name), ['Secret', 'Status', 'Ready', 'Age']);
  // The ESO group is unchanged by the second group: still four kinds, ESO's label.
  assert.deepEqual(allCrds().filter((x) => x.spec.group === 'external-secrets.io').map((x) => x.spec.names.kind), ['ExternalSecret', 'SecretStore', 'ClusterSecretStore', 'ClusterExternalSecret']);
});

void test('the offline validator knows SopsSecret: encrypted is required and a string, only in v1alpha1', () => {
  assert.ok(schemaFor('secrets.hush.dev/v1alpha1', 'SopsSecret'));
  assert.equal(schemaFor('secrets.hush.dev/v1', 'SopsSecret'), undefined);
  assert.equal(schemaFor('external-secrets.io/v1', 'SopsSecret'), undefined);
  const base = { apiVersion: 'secrets.hush.dev/v1alpha1', kind: 'SopsSecret', metadata: { name: 'db' } };
  assert.deepEqual(validateManifest({ ...base, spec: { encrypted: 'x: 1\n', decryption: { secretRef: { name: 'sops-age' } } } }), []);
  assert.deepEqual(validateManifest({ ...base, spec: {} }).map((i) => i.path), ['spec.encrypted']);
  assert.deepEqual(validateManifest({ ...base, spec: { encrypted: { nested: 'map' } } }).map((i) => i.path), ['spec.encrypted']);
  assert.deepEqual(validateManifest({ ...base, spec: { encrypted: 'x', format: 'ini' } }).map((i) => i.path), ['spec.format']);
});

void test('every SopsSecret spec field has a description, for `kubectl explain`', () => {
  const missing: string[] = [];
  const walk = (node: JsonSchema, path: string): void => {
    if (path !== '' && !node.description) missing.push(path);
    for (const [k, sub] of Object.entries(node.properties ?? {})) walk(sub, `${path}.${k}`);
  };
  walk(schemaFor('secrets.hush.dev/v1alpha1', 'SopsSecret')!.properties!.spec!, '');
  assert.deepEqual(missing, []);
});
