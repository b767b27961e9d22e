import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { allCrds, crdForKind, type CustomResourceDefinition } from './crd.ts';
import type { JsonSchema } from './schema.ts';
import { implementedProviderKeys, providerKeys } from './v1/providers/index.ts';

function crd(kind: string): CustomResourceDefinition {
  const c = crdForKind(kind);
  assert.ok(c, `no CRD for ${kind}`);
  return c;
}

function schemaOf(kind: string, version = 'v1'): JsonSchema {
  const v = crd(kind).spec.versions.find((x) => x.name === version);
  assert.ok(v, `${kind} has no version ${version}`);
  return v.schema.openAPIV3Schema;
}

/** The external-secrets.io CRDs (Hush's own group is tested in hush/crd.test.ts). */
function esoCrds(): CustomResourceDefinition[] {
  return allCrds().filter((c) => c.spec.group === 'external-secrets.io');
}

/** Every node with its path, depth first. */
function* walk(node: JsonSchema, path = ''): Generator<[string, JsonSchema]> {
  yield [path, node];
  for (const [k, sub] of Object.entries(node.properties ?? {})) yield* walk(sub, `${path}.${k}`);
  if (node.additionalProperties) yield* walk(node.additionalProperties, `${path}[*]`);
  if (node.items) yield* walk(node.items, `${path}[]`);
}

void test('kubectl names: short names, plural, scope and category are ESO\'s', () => {
  const names = Object.fromEntries(esoCrds().map((c) => [c.spec.names.kind, c]));
  const expected: [string, string, string, 'Namespaced' | 'Cluster'][] = [
    ['ExternalSecret', 'externalsecrets', 'es', 'Namespaced'],
    ['SecretStore', 'secretstores', 'ss', 'Namespaced'],
    ['ClusterSecretStore', 'clustersecretstores', 'css', 'Cluster'],
    ['ClusterExternalSecret', 'clusterexternalsecrets', 'ces', 'Cluster'],
  ];
  assert.equal(Object.keys(names).length, expected.length);
  for (const [kind, plural, short, scope] of expected) {
    const c = names[kind];
    assert.ok(c);
    assert.equal(c.metadata.name, `${plural}.external-secrets.io`);
    assert.deepEqual(c.metadata.labels, { 'external-secrets.io/component': 'controller' });
    assert.equal(c.spec.group, 'external-secrets.io');
    assert.equal(c.spec.names.plural, plural);
    assert.deepEqual(c.spec.names.shortNames, [short]);
    assert.deepEqual(c.spec.names.categories, ['external-secrets']);
    assert.equal(c.spec.scope, scope);
  }
});

void test('v1 is stored, v1beta1 is still served with the same schema and a deprecation warning', () => {
  for (const c of esoCrds()) {
    assert.deepEqual(c.spec.conversion, { strategy: 'None' });
    const [v1, v1beta1] = c.spec.versions;
    assert.ok(v1 && v1beta1);
    assert.deepEqual([v1.name, v1.served, v1.storage, v1.deprecated], ['v1', true, true, undefined]);
    assert.deepEqual([v1beta1.name, v1beta1.served, v1beta1.storage, v1beta1.deprecated], ['v1beta1', true, false, true]);
    assert.match(v1beta1.deprecationWarning ?? '', /deprecated; use external-secrets\.io\/v1$/);
    assert.deepEqual(v1beta1.schema, v1.schema);
    assert.deepEqual(v1.subresources, { status: {} });
  }
});

void test('printer columns match ESO\'s, so `kubectl get es,ss,css,ces` looks the same', () => {
  const columns = (kind: string) => crd(kind).spec.versions[0]!.additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`);
  const ready = '.status.conditions[?(@.type=="Ready")]';
  assert.deepEqual(columns('ExternalSecret'), [
    'StoreType=.spec.secretStoreRef.kind',
    'Store=.spec.secretStoreRef.name',
    'Refresh Interval=.spec.refreshInterval',
    `Status=${ready}.reason`,
    `Ready=${ready}.status`,
    'Last Sync=.status.refreshTime',
  ]);
  const store = ['AGE=.metadata.creationTimestamp', `Status=${ready}.reason`, 'Capabilities=.status.capabilities', `Ready=${ready}.status`];
  assert.deepEqual(columns('SecretStore'), store);
  assert.deepEqual(columns('ClusterSecretStore'), store);
  assert.deepEqual(columns('ClusterExternalSecret'), [
    'Store=.spec.externalSecretSpec.secretStoreRef.name',
    'Refresh Interval=.spec.refreshTime',
    `Ready=${ready}.status`,
  ]);
});

void test('spec.provider accepts every ESO provider key, and exactly one', () => {
  for (const kind of ['SecretStore', 'ClusterSecretStore']) {
    const provider = schemaOf(kind).properties?.spec?.properties?.provider;
    assert.ok(provider);
    assert.equal(provider.minProperties, 1);
    assert.equal(provider.maxProperties, 1);
    const keys = Object.keys(provider.properties ?? {});
    // ESO 2.9's SecretStoreProvider keys (apis/externalsecrets/v1/secretstore_types.go).
    for (const k of ['aws', 'azurekv', 'akeyless', 'bitwardensecretsmanager', 'vault', 'ovh', 'gcpsm', 'oracle', 'ibm',
      'yandexcertificatemanager', 'yandexlockbox', 'github', 'gitlab', 'onepassword', 'onepasswordSDK', 'webhook',
      'kubernetes', 'fake', 'senhasegura', 'scaleway', 'doppler', 'previder', 'onboardbase', 'keepersecurity', 'conjur',
      'delinea', 'secretserver', 'chef', 'pulumi', 'fortanix', 'passworddepot', 'passbolt', 'dvls', 'infisical',
      'beyondtrust', 'beyondtrustworkloadcredentials', 'cloudrusm', 'volcengine', 'ngrok', 'barbican', 'nebiusmysterybox']) {
      assert.ok(keys.includes(k), `${kind} spec.provider lacks "${k}"`);
    }
    assert.deepEqual(keys, [...providerKeys]);
    for (const k of keys) {
      const p: JsonSchema = provider.properties![k]!;
      if ((implementedProviderKeys as readonly string[]).includes(k)) {
        assert.ok(Object.keys(p.properties ?? {}).length > 0, `${k} should have a full schema`);
      } else {
        assert.equal(p['x-kubernetes-preserve-unknown-fields'], true, `${k} should keep its content as written`);
        assert.match(p.description ?? '', /not supported by Hush yet/);
      }
    }
  }
});

void test('no CRD defaults anywhere: defaults live in code (ESO 2.9 dropped them to stop GitOps perma-diffs)', () => {
  for (const c of allCrds()) {
    assert.doesNotMatch(JSON.stringify(c), /"default"\s*:/, c.metadata.name);
  }
});

void test('schemas are structural (apiextensions.k8s.io/v1 rules)', () => {
  for (const c of allCrds()) {
    for (const [path, node] of walk(c.spec.versions[0]!.schema.openAPIV3Schema)) {
      const where = `${c.metadata.name} ${path || '(root)'}`;
      const untypedOk = node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
      assert.ok(node.type !== undefined || untypedOk, `${where}: every node needs a type`);
      assert.ok(!(node.properties && node.additionalProperties), `${where}: properties and additionalProperties are exclusive`);
      if (node.type === 'array') assert.ok(node.items, `${where}: arrays need items`);
      if (node.required) {
        for (const r of node.required) assert.ok(node.properties?.[r], `${where}: required "${r}" is not a property`);
      }
      if (node.enum) assert.ok(node.enum.every((e) => typeof e === (node.type === 'string' ? 'string' : 'number')), `${where}: enum type`);
      if (node.pattern) assert.doesNotThrow(() => new RegExp(node.pattern!, 'u'), where);
    }
    // Only name/generateName may be constrained under metadata; we leave it open.
    assert.deepEqual(c.spec.versions[0]!.schema.openAPIV3Schema.properties?.metadata, { type: 'object' });
  }
});

void test('fields users set have descriptions, for `kubectl explain`', () => {
  const missing: string[] = [];
  for (const kind of ['ExternalSecret', 'SecretStore', 'ClusterExternalSecret']) {
    for (const [path, node] of walk(schemaOf(kind).properties!.spec!)) {
      // Leaves of arrays/maps (e.g. items of tags) inherit their parent's description.
      if (path.endsWith('[]') || path.endsWith('[*]') || path === '') continue;
      if (!node.description) missing.push(`${kind} spec${path}`);
    }
  }
  assert.deepEqual(missing, []);
});

void test('each CRD stays under 256 KB so that client-side `kubectl apply` works', () => {
  for (const c of allCrds()) {
    const bytes = Buffer.byteLength(stringify(c, { aliasDuplicateObjects: false, lineWidth: 0 }));
    assert.ok(bytes < 256 * 1024, `${c.metadata.name} is ${bytes} bytes`);
    // last-applied-configuration holds the JSON form; it must fit the 256 KB annotation limit too.
    assert.ok(Buffer.byteLength(JSON.stringify(c)) < 256 * 1024, `${c.metadata.name} JSON is too big`);
  }
});
