import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { formatIssues, validateManifest } from './validate.ts';

function loadExamples(file: string): Record<string, unknown>[] {
  const text = readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
}

const examples = [...loadExamples('stores.yaml'), ...loadExamples('externalsecrets.yaml')];

/** A known-good ExternalSecret to break one field at a time. */
function es(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'x', namespace: 'a' }, spec };
}
function store(provider: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 's' }, spec: { provider, ...extra } };
}
const paths = (m: unknown) => validateManifest(m).map((i) => `${i.path}: ${i.message}`);

void test('ESO example manifests (vault, kubernetes, fake, aws, unsupported providers, v1beta1) are valid', () => {
  assert.ok(examples.length >= 15);
  for (const m of examples) {
    const name = `${String(m.kind)}/${String((m.metadata as { name: string }).name)}`;
    assert.equal(formatIssues(validateManifest(m)), '', name);
  }
  const providers = new Set(examples.flatMap((m) => Object.keys((m.spec as { provider?: object }).provider ?? {})));
  for (const p of ['vault', 'kubernetes', 'fake', 'aws', 'onepasswordSDK', 'alibaba']) assert.ok(providers.has(p), p);
});

void test('a missing required field is reported at its full path', () => {
  assert.deepEqual(paths(es({ data: [{ secretKey: 'a', remoteRef: {} }] })), ['spec.data[0].remoteRef.key: is required']);
  assert.deepEqual(paths(es({ data: [{ remoteRef: { key: 'k' } }] })), ['spec.data[0].secretKey: is required']);
  assert.deepEqual(paths(store({ vault: { path: 'secret' } })), ['spec.provider.vault.server: is required']);
});

void test('a null counts as absent, as the API server prunes it', () => {
  assert.deepEqual(paths(es({ data: [{ secretKey: 'a', remoteRef: { key: null } }] })), ['spec.data[0].remoteRef.key: is required']);
  assert.deepEqual(paths(es({ refreshInterval: null, data: [] })), []);
});

void test('enum values are checked and the allowed ones listed', () => {
  assert.deepEqual(paths(es({ target: { creationPolicy: 'Own' } })), [
    'spec.target.creationPolicy: must be one of "Owner", "Orphan", "Merge", "None", "CreateOrMerge"; got "Own"',
  ]);
  assert.deepEqual(paths(store({ vault: { server: 'x', version: 'v3' } })), [
    'spec.provider.vault.version: must be one of "v1", "v2"; got "v3"',
  ]);
});

void test('unknown fields are errors (kubectl validates strictly), except where unknown content is kept', () => {
  assert.deepEqual(paths(es({ bogus: 1, target: { nmae: 'x' } })), ['spec.bogus: unknown field', 'spec.target.nmae: unknown field']);
  // Providers Hush does not implement keep whatever ESO accepts.
  assert.deepEqual(paths(store({ doppler: { anything: { nested: [1, 2] } } })), []);
});

void test('spec.provider must name exactly one provider', () => {
  assert.deepEqual(paths(store({})), [
    'spec.provider: must set exactly one of: one of 43 keys (aws, azurekv, akeyless, bitwardensecretsmanager, vault, ovh, gcpsm, oracle, ...)',
  ]);
  assert.deepEqual(paths(store({ fake: { data: [] }, vault: { server: 'x' } })), [
    'spec.provider: must set exactly one key, found 2: fake, vault',
  ]);
  assert.deepEqual(paths(store({ vaullt: { server: 'x' } })), [
    'spec.provider: must set exactly one of: one of 43 keys (aws, azurekv, akeyless, bitwardensecretsmanager, vault, ovh, gcpsm, oracle, ...)',
    'spec.provider.vaullt: unknown field',
  ]);
});

void test('patterns, lengths, formats and int-or-string are checked', () => {
  assert.deepEqual(paths(es({ data: [{ secretKey: 'has space', remoteRef: { key: 'k' } }] })), [
    'spec.data[0].secretKey: "has space" does not match the pattern ^[-._a-zA-Z0-9]+$',
  ]);
  assert.deepEqual(paths(es({ target: { name: 'x'.repeat(254) } })), ['spec.target.name: must be at most 253 characters long']);
  assert.deepEqual(paths(store({ vault: { server: 'x', caBundle: 'not base64!' } })), ['spec.provider.vault.caBundle: must be base64-encoded']);
  assert.deepEqual(paths(store({ fake: { data: [] } }, { refreshInterval: true })), [
    'spec.refreshInterval: must be an integer or a string, got boolean',
  ]);
  assert.deepEqual(paths(store({ fake: { data: [] } }, { refreshInterval: '5m' })), []);
  assert.deepEqual(paths(store({ fake: { data: [] } }, { refreshInterval: 300 })), []);
});

void test('wrong types name the expected and the actual type', () => {
  assert.deepEqual(paths(es({ data: { secretKey: 'a' } })), ['spec.data: must be an array, got object']);
  assert.deepEqual(paths(es({ target: { immutable: 'yes' } })), ['spec.target.immutable: must be a boolean, got string']);
  assert.deepEqual(paths(es({ target: { template: { data: { 'tls.crt': 5 } } } })), [
    'spec.target.template.data["tls.crt"]: must be a string, got integer',
  ]);
});

void test('objects Hush does not serve are reported instead of passing silently', () => {
  assert.deepEqual(paths({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }), [
    'kind: Secret is not a kind Hush serves in v1',
  ]);
  assert.deepEqual(paths({ apiVersion: 'external-secrets.io/v1alpha1', kind: 'PushSecret', metadata: { name: 'x' } }), [
    'kind: PushSecret is not a kind Hush serves in external-secrets.io/v1alpha1',
  ]);
  assert.deepEqual(paths({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', spec: {} }), ['metadata.name: is required']);
});
