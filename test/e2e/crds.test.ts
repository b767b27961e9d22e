/**
 * The generated CRDs against a real kube-apiserver (1.34): they install with
 * plain client-side `kubectl apply`, ESO manifests in v1 and v1beta1 apply
 * unchanged with strict field validation, kubectl shows ESO's columns and
 * short names, and the API server stores objects without adding defaults.
 *
 * Run: node --test --test-global-setup=test/e2e/global-setup.ts test/e2e/crds.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { allCrds } from '../../src/api/crd.ts';
import { validateManifest } from '../../src/api/validate.ts';
import { applyYaml, getJson, kubectl, KubectlError, loadTestEnv, type DevEnv } from '../support/index.ts';

const repo = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
// A namespace of our own, so other e2e tests sharing the cluster are not disturbed.
const ns = `crds-${randomBytes(3).toString('hex')}`;
const suffix = ns.slice(5);

/** The testdata manifests, moved into our namespace and with cluster-scoped names made unique. */
function testdata(file: string): string {
  return readFileSync(repo(`src/api/testdata/${file}`), 'utf8')
    .replaceAll('namespace: team-a', `namespace: ${ns}`)
    .replace(/^(kind: Cluster\w+\nmetadata:\n {2}name: )(\S+)/gm, `$1$2-${suffix}`);
}

let env: DevEnv;

before(async () => {
  env = await loadTestEnv();
  // -k: the kustomization in deploy/crds is what users point Flux/Argo CD at.
  await kubectl(env, ['apply', '-k', repo('deploy/crds')], { timeoutMs: 60_000 });
  for (const crd of allCrds()) {
    await kubectl(env, ['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd.metadata.name}`], { timeoutMs: 40_000 });
  }
  await kubectl(env, ['create', 'namespace', ns]);
});

// The cluster-scoped objects first: a ClusterExternalSecret left behind would fan out into the
// namespaces of the files that run after this one. No controller runs here, so nothing has
// finalizers and the deletes are immediate.
after(async () => {
  if (!env) return;
  await kubectl(env, ['delete', '--ignore-not-found', '--timeout=60s', '-f', '-'], { input: testdata('stores.yaml') + '\n---\n' + testdata('externalsecrets.yaml'), timeoutMs: 90_000 });
  await kubectl(env, ['delete', 'namespace', ns, '--ignore-not-found', '--timeout=60s'], { timeoutMs: 90_000 });
});

void test('the CRDs are accepted as structural schemas, labelled like ESO\'s', async () => {
  for (const crd of allCrds()) {
    const live = await getJson(env, ['crd', crd.metadata.name]);
    const status = live?.status as { conditions: { type: string; status: string; reason: string }[] };
    const failing = status.conditions.filter((c) => c.type === 'NonStructuralSchema' || (c.type === 'Established' && c.status !== 'True'));
    assert.deepEqual(failing, [], crd.metadata.name);
    // ESO's CRDs carry external-secrets.io/component: controller; Hush's own group its own label.
    for (const [k, v] of Object.entries(crd.metadata.labels)) assert.equal((live?.metadata as { labels: Record<string, string> }).labels[k], v, crd.metadata.name);
  }
});

void test('ESO store and ExternalSecret manifests apply unchanged, in v1 and v1beta1', async () => {
  const out = await applyYaml(env, testdata('stores.yaml') + '\n---\n' + testdata('externalsecrets.yaml'));
  assert.match(out, /secretstore\.external-secrets\.io\/vault-token created/);
  assert.match(out, /secretstore\.external-secrets\.io\/old-alibaba created/);
  assert.match(out, /externalsecret\.external-secrets\.io\/legacy created/);
  assert.match(out, new RegExp(`clusterexternalsecret\\.external-secrets\\.io/shared-registry-${suffix} created`));
  // Applying again is a no-op: nothing was defaulted or rewritten by the server.
  const again = await applyYaml(env, testdata('stores.yaml') + '\n---\n' + testdata('externalsecrets.yaml'));
  assert.doesNotMatch(again, /configured|created/);
});

void test('objects are stored as written: no defaults appear (no GitOps perma-diff)', async () => {
  const es = await getJson(env, ['externalsecret', '-n', ns, 'windowed']);
  const spec = es?.spec as Record<string, unknown> & { target: Record<string, unknown>; data: { remoteRef: Record<string, unknown> }[] };
  assert.deepEqual(spec.target, { creationPolicy: 'CreateOrMerge' });
  assert.deepEqual(spec.data[0]?.remoteRef, { key: '/foo/bar', version: 'v1' });
  const store = await getJson(env, ['secretstore', '-n', ns, 'vault-jwt']);
  const vault = (store?.spec as { provider: { vault: Record<string, unknown> } }).provider.vault;
  assert.equal(vault.version, undefined);
});

void test('a v1beta1 object reads back as v1 and the other way round', async () => {
  const asV1 = await getJson(env, ['externalsecrets.v1.external-secrets.io', '-n', ns, 'legacy']);
  assert.equal(asV1?.apiVersion, 'external-secrets.io/v1');
  const asBeta = await getJson(env, ['externalsecrets.v1beta1.external-secrets.io', '-n', ns, 'db-credentials']);
  assert.equal(asBeta?.apiVersion, 'external-secrets.io/v1beta1');
  assert.deepEqual(asBeta?.spec, (await getJson(env, ['externalsecret', '-n', ns, 'db-credentials']))?.spec);
});

void test('kubectl shows ESO\'s columns and knows the short names and category', async () => {
  const es = await kubectl(env, ['get', 'es', '-n', ns]);
  assert.match(es.split('\n')[0] ?? '', /^NAME\s+STORETYPE\s+STORE\s+REFRESH INTERVAL\s+STATUS\s+READY\s+LAST SYNC$/);
  assert.match(es, /db-credentials\s+SecretStore\s+vault-token\s+15m/);
  const ss = await kubectl(env, ['get', 'ss', '-n', ns]);
  assert.match(ss.split('\n')[0] ?? '', /^NAME\s+AGE\s+STATUS\s+CAPABILITIES\s+READY$/);
  assert.match(await kubectl(env, ['get', 'css']), new RegExp(`fake-${suffix}`));
  assert.match((await kubectl(env, ['get', 'ces'])).split('\n')[0] ?? '', /^NAME\s+STORE\s+REFRESH INTERVAL\s+READY$/);
  const all = await kubectl(env, ['get', 'external-secrets', '-n', ns, '-o', 'name']);
  assert.match(all, /externalsecret\.external-secrets\.io\/bulk/);
  assert.match(all, /secretstore\.external-secrets\.io\/cluster-secrets/);
});

void test('the API server rejects what the offline validator rejects, at the same field paths', async () => {
  const bad = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'bad', namespace: ns },
    spec: { provider: { vault: { server: 'x', version: 'v3', auth: { appRole: { roleId: 'r' } } }, fake: { data: [] } } },
  };
  const offline = validateManifest(bad).map((i) => i.path).sort();
  assert.deepEqual(offline, ['spec.provider', 'spec.provider.vault.auth.appRole.secretRef', 'spec.provider.vault.version']);
  const err = await applyYaml(env, JSON.stringify(bad)).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof KubectlError, 'the API server accepted an invalid store');
  for (const path of offline) assert.match(err.stderr, new RegExp(path.replaceAll('.', '\\.')));
});

void test('ExternalSecrets and stores from ESO docs are valid offline too', () => {
  // Everything in testdata is valid offline too, so `hush` checks and the cluster agree.
  for (const file of ['stores.yaml', 'externalsecrets.yaml']) {
    for (const doc of parseAllDocuments(testdata(file))) {
      assert.deepEqual(validateManifest(doc.toJS()), []);
    }
  }
});
