/**
 * ExternalSecret behaviour end to end: real kube-apiserver + controller-manager
 * (garbage collector) + OpenBao, the controller running in-process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanupCreated,
  ExternalSecrets,
  Secrets,
  createNamespace,
  createVaultTokenStore,
  getEs,
  getSecret,
  harness,
  putVaultKv2,
  deleteVaultKv2,
  readyOf,
  secretStrings,
  startController,
  uniqueName,
  waitReady,
  type Harness,
  type RunningController,
} from '../support/harness.ts';
import { waitFor } from '../support/index.ts';
import { SecretStores } from '../../src/controllers/resources.ts';
import { ConfigMaps } from '../../src/kube/resources.ts';

let h: Harness;
let ctl: RunningController;

before(async () => {
  h = await harness();
  ctl = await startController(h);
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
  }
});

async function es(namespace: string, name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace, ...meta },
    spec: { refreshInterval: '1h', secretStoreRef: { name: 'vault', kind: 'SecretStore' }, ...spec },
  } as never);
}

async function storeReady(ns: string) {
  await waitReady(h.kube, SecretStores, ns, 'vault');
}

describe('sync from OpenBao', () => {
  test('data[] with property, dataFrom extract and find, rewrite and decoding produce the Secret ESO would', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('app');
    await putVaultKv2(h.env, `${p}/db`, { username: 'admin', password: 's3cr3t', port: 5432, nested: { a: 1 } });
    await putVaultKv2(h.env, `${p}/cfg`, { API_KEY: 'k1', 'b64': Buffer.from('decoded!').toString('base64') });
    await putVaultKv2(h.env, `${p}/team/x`, { v: 'x' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'app', {
      data: [
        { secretKey: 'user', remoteRef: { key: `${p}/db`, property: 'username' } },
        { secretKey: 'port', remoteRef: { key: `${p}/db`, property: 'port' } },
        { secretKey: 'nested', remoteRef: { key: `${p}/db`, property: 'nested' } },
        { secretKey: 'decoded', remoteRef: { key: `${p}/cfg`, property: 'b64', decodingStrategy: 'Base64' } },
      ],
      dataFrom: [
        { extract: { key: `${p}/cfg` } },
        { find: { path: `${p}/team`, name: { regexp: '.*' } }, rewrite: [{ regexp: { source: '^.*/(x)$', target: 'team_$1' } }] },
      ],
    }, { labels: { app: 'web' }, annotations: { note: 'copied' } });

    const ready = await waitReady(h.kube, ExternalSecrets, ns, 'app');
    assert.equal(readyOf(ready)?.reason, 'SecretSynced');
    const secret = await getSecret(h.kube, ns, 'app');
    assert.deepEqual(secretStrings(secret), {
      user: 'admin',
      port: '5432',
      nested: '{"a":1}',
      decoded: 'decoded!',
      API_KEY: 'k1',
      b64: Buffer.from('decoded!').toString('base64'),
      team_x: '{"v":"x"}',
    });
    assert.equal(secret?.type, 'Opaque');
    assert.equal(secret?.metadata.labels?.['reconcile.external-secrets.io/managed'], 'true');
    assert.equal(secret?.metadata.labels?.app, 'web');
    assert.equal(secret?.metadata.annotations?.note, 'copied');
    assert.match(secret?.metadata.annotations?.['reconcile.external-secrets.io/data-hash'] ?? '', /^[0-9a-f]{56}$/);
    const owner = secret?.metadata.ownerReferences?.find((r) => r.controller);
    assert.equal(owner?.kind, 'ExternalSecret');
    assert.equal(owner?.uid, ready.metadata.uid);
    assert.ok(ready.status?.refreshTime);
    assert.match(ready.status?.syncedResourceVersion ?? '', /^1-[0-9a-f]{56}$/);
    assert.ok(ready.metadata.finalizers?.includes('externalsecrets.external-secrets.io/externalsecret-cleanup'));
  });

  test('a missing key gives Ready=False naming the key and the store, and leaves the Secret as it was', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('miss');
    await putVaultKv2(h.env, `${p}/db`, { password: 'one' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'db', { data: [{ secretKey: 'password', remoteRef: { key: `${p}/db`, property: 'password' } }] });
    await waitReady(h.kube, ExternalSecrets, ns, 'db');
    const before = await getSecret(h.kube, ns, 'db');

    const cur = (await getEs(h.kube, ns, 'db'))!;
    await h.kube.patch(ExternalSecrets, 'db', ns, { spec: { data: [{ secretKey: 'password', remoteRef: { key: `${p}/db`, property: 'nope' } }, { secretKey: 'other', remoteRef: { key: `${p}/absent` } }] } }, 'merge');
    void cur;
    const failed = await waitReady(h.kube, ExternalSecrets, ns, 'db', 'False');
    const cond = readyOf(failed)!;
    assert.equal(cond.reason, 'SecretSyncedError');
    assert.match(cond.message ?? '', /spec\.data\[0\] \(key: password\)/);
    assert.match(cond.message ?? '', /SecretStore ".*\/vault"/);
    assert.match(cond.message ?? '', /nope/);
    const afterFail = await getSecret(h.kube, ns, 'db');
    assert.equal(afterFail?.metadata.resourceVersion, before?.metadata.resourceVersion, 'the Secret was not touched');
    assert.deepEqual(secretStrings(afterFail), { password: 'one' });
  });

  test('the real garbage collector deletes an Owner Secret with its ExternalSecret; Orphan keeps it', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('gc');
    await putVaultKv2(h.env, `${p}/k`, { v: '1' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'owned', { data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    await es(ns, 'orphan', { target: { creationPolicy: 'Orphan' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    await waitReady(h.kube, ExternalSecrets, ns, 'owned');
    await waitReady(h.kube, ExternalSecrets, ns, 'orphan');
    assert.equal((await getSecret(h.kube, ns, 'orphan'))?.metadata.ownerReferences?.length ?? 0, 0);
    await h.kube.delete(ExternalSecrets, 'owned', ns);
    await h.kube.delete(ExternalSecrets, 'orphan', ns);
    await waitFor(async () => (await getSecret(h.kube, ns, 'owned')) === undefined, { timeoutMs: 90_000, message: 'GC deleted the owned Secret' });
    await waitFor(async () => (await getEs(h.kube, ns, 'orphan')) === undefined, { timeoutMs: 10_000, message: 'orphan ES gone (finalizer removed)' });
    assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'orphan')), { v: '1' });
  });

  test('drift: an edited or deleted managed Secret is restored at once', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('drift');
    await putVaultKv2(h.env, `${p}/k`, { v: 'truth' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'd', { refreshInterval: '1h', data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    await waitReady(h.kube, ExternalSecrets, ns, 'd');
    await h.kube.patch(Secrets, 'd', ns, { data: { v: Buffer.from('tampered').toString('base64'), extra: Buffer.from('x').toString('base64') } }, 'merge');
    await waitFor(async () => { const s = secretStrings(await getSecret(h.kube, ns, 'd')); return s.v === 'truth' && s.extra === undefined; }, { timeoutMs: 5_000, message: 'edited Secret restored' });
    await h.kube.delete(Secrets, 'd', ns);
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'd')).v === 'truth', { timeoutMs: 5_000, message: 'deleted Secret recreated' });
  });

  test('Merge keeps foreign keys and waits for a missing target; None never writes', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('merge');
    await putVaultKv2(h.env, `${p}/k`, { v: 'from-vault' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'm', { target: { name: 'shared', creationPolicy: 'Merge' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    const missing = await waitReady(h.kube, ExternalSecrets, ns, 'm');
    assert.equal(readyOf(missing)?.reason, 'SecretMissing');
    assert.equal(await getSecret(h.kube, ns, 'shared'), undefined);
    await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shared', namespace: ns }, stringData: { mine: 'keep' } } as never);
    // Nothing watches an unlabelled foreign Secret; a force-sync annotation asks for a sync now.
    await h.kube.patch(ExternalSecrets, 'm', ns, { metadata: { annotations: { 'external-secrets.io/force-sync': String(Date.now()) } } }, 'merge');
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'shared')).v === 'from-vault', { timeoutMs: 10_000, message: 'merged' });
    assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'shared')), { mine: 'keep', v: 'from-vault' });
    assert.equal((await getSecret(h.kube, ns, 'shared'))?.metadata.ownerReferences, undefined);

    await es(ns, 'n', { target: { name: 'never', creationPolicy: 'None' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    await waitReady(h.kube, ExternalSecrets, ns, 'n');
    assert.equal(await getSecret(h.kube, ns, 'never'), undefined);
  });

  test('deletionPolicy Delete removes the Secret when the store has nothing; Retain keeps it', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('del');
    await putVaultKv2(h.env, `${p}/k`, { v: '1' });
    // A sibling that the find below does not match keeps the path listable once k is gone.
    await putVaultKv2(h.env, `${p}/other`, { v: '2' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'del', { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: { key: `${p}/k` } }] });
    await es(ns, 'ret', { target: { deletionPolicy: 'Retain' }, dataFrom: [{ find: { path: `${p}`, name: { regexp: 'k$' } } }] });
    await waitReady(h.kube, ExternalSecrets, ns, 'del');
    await waitReady(h.kube, ExternalSecrets, ns, 'ret');
    await deleteVaultKv2(h.env, `${p}/k`);
    for (const name of ['del', 'ret']) {
      await h.kube.patch(ExternalSecrets, name, ns, { metadata: { annotations: { 'external-secrets.io/force-sync': '1' } } }, 'merge');
    }
    await waitFor(async () => (await getSecret(h.kube, ns, 'del')) === undefined, { timeoutMs: 10_000, message: 'Delete policy removed the Secret' });
    const del = await waitFor(async () => { const o = await getEs(h.kube, ns, 'del'); return readyOf(o)?.reason === 'SecretDeleted' ? o : undefined; }, { timeoutMs: 5_000 });
    assert.equal(readyOf(del)?.status, 'True');
    // Retain with find that now matches nothing keeps the Secret.
    await waitFor(async () => { const o = await getEs(h.kube, ns, 'ret'); return (readyOf(o)?.message ?? '').includes('retained'); }, { timeoutMs: 10_000, message: 'Retain' });
    // find names are paths relative to the mount, converted to Secret keys as ESO does.
    assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'ret')), { [`${p}_k`]: '{"v":"1"}' });
  });

  test('semantic errors are reported with the field and the fix, without touching anything', async () => {
    const ns = await createNamespace(h.kube);
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'bad-policy', { target: { creationPolicy: 'Merge', deletionPolicy: 'Delete' }, data: [{ secretKey: 'a', remoteRef: { key: 'x' } }] });
    await es(ns, 'dup', { data: [{ secretKey: 'a', remoteRef: { key: 'x' } }, { secretKey: 'a', remoteRef: { key: 'y' } }] });
    await es(ns, 'empty', {});
    await es(ns, 'no-store', { secretStoreRef: { name: 'absent' }, data: [{ secretKey: 'a', remoteRef: { key: 'x' } }] });
    await es(ns, 'templated', { target: { template: { data: { a: '{{ .x | nosuchfunc }}' } } }, data: [{ secretKey: 'x', remoteRef: { key: 'x' } }] });
    const expectations: [string, RegExp][] = [
      ['bad-policy', /spec\.target\.deletionPolicy: Delete requires creationPolicy Owner or Orphan/],
      ['dup', /spec\.data\[1\]\.secretKey: duplicate key "a"/],
      ['empty', /either spec\.data or spec\.dataFrom must be set/],
      ['no-store', /SecretStore ".*\/absent" not found/],
      ['templated', /spec\.target\.template\.data\[a\]: template: a:1: function "nosuchfunc" not defined/],
    ];
    for (const [name, re] of expectations) {
      const failed = await waitReady(h.kube, ExternalSecrets, ns, name, 'False');
      assert.match(readyOf(failed)?.message ?? '', re, name);
      assert.equal(await getSecret(h.kube, ns, name), undefined, `${name}: no Secret written`);
    }
  });

  test('an ExternalSecret cannot use a SecretStore of another namespace', async () => {
    const other = await createNamespace(h.kube, 'owner');
    const ns = await createNamespace(h.kube, 'thief');
    await createVaultTokenStore(h, other);
    await storeReady(other);
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'steal', namespace: ns },
      spec: { secretStoreRef: { name: 'vault', kind: 'SecretStore' }, data: [{ secretKey: 'a', remoteRef: { key: 'x' } }] },
    } as never);
    const failed = await waitReady(h.kube, ExternalSecrets, ns, 'steal', 'False');
    assert.match(readyOf(failed)?.message ?? '', new RegExp(`SecretStore "${ns}/vault" not found`));
  });

  test('a failing ExternalSecret backs off: it does not hammer its store', async (t) => {
    const ns = await createNamespace(h.kube);
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    // Attempts of this ExternalSecret alone (other tests' objects share the controller and the provider metric).
    const reads = () => ctl.metrics.syncCalls.get({ name: 'failing', namespace: ns });
    await es(ns, 'failing', { refreshInterval: '1s', data: [{ secretKey: 'a', remoteRef: { key: `${uniqueName('absent')}/k` } }] });
    // Time each attempt with this process's monotonic clock, polling every 20 ms from creation on:
    // the per-key backoff doubles from 1 s with up to 20 % jitter, so attempts 2-3 and 3-4 are about
    // 2 s and 4 s apart, where refreshInterval: 1s alone would give about 1 s each.
    const attemptAt = new Map<number, number>();
    await waitFor(
      () => {
        const n = reads();
        if (n > 0 && !attemptAt.has(n)) attemptAt.set(n, performance.now());
        return n >= 4;
      },
      { timeoutMs: 20_000, intervalMs: 20, message: 'four attempts' },
    );
    await waitReady(h.kube, ExternalSecrets, ns, 'failing', 'False');
    const at = (n: number) => attemptAt.get(n) ?? assert.fail(`attempt ${n} not seen on its own (${JSON.stringify([...attemptAt])})`);
    const gaps = [at(3) - at(2), at(4) - at(3)];
    const shown = `attempts 2-3 and 3-4 came ${gaps.map((g) => Math.round(g)).join(' ms and ')} ms apart; want ~2 s and ~4 s`;
    t.diagnostic(shown);
    // Lower bounds: the backoff itself (less the 20 ms poll). Upper: jitter plus 1.5 s for a slow machine.
    assert.ok(gaps[0]! >= 1_950 && gaps[0]! <= 2_400 + 1_500, shown);
    assert.ok(gaps[1]! >= 3_950 && gaps[1]! <= 4_800 + 1_500, shown);
  });

  test('renaming spec.target.name moves the Secret: the old one is deleted, as ESO does', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('rename');
    await putVaultKv2(h.env, `${p}/k`, { v: 'r' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await es(ns, 'ren', { target: { name: 'old-name' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    await waitFor(async () => (await getSecret(h.kube, ns, 'old-name')) !== undefined, { timeoutMs: 10_000, message: 'old-name created' });
    await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bystander', namespace: ns, labels: { 'reconcile.external-secrets.io/managed': 'true' } }, stringData: { x: 'y' } } as never);
    await h.kube.patch(ExternalSecrets, 'ren', ns, { spec: { target: { name: 'new-name' } } }, 'merge');
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'new-name')).v === 'r', { timeoutMs: 10_000, message: 'new-name synced' });
    await waitFor(async () => (await getSecret(h.kube, ns, 'old-name')) === undefined, { timeoutMs: 10_000, message: 'old-name deleted' });
    assert.ok(await getSecret(h.kube, ns, 'bystander'), 'a Secret this ExternalSecret does not control is left alone');
  });

  test('templates shape the Secret (type, data, templateFrom, metadata); a broken template leaves it as it was', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('tpl');
    await putVaultKv2(h.env, `${p}/reg`, { user: 'robot', token: 't0k3n' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await h.kube.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tpl', namespace: ns }, data: { 'app.env': 'REGISTRY_USER={{ .user }}\n' } } as never);
    await es(ns, 'regcred', {
      target: {
        template: {
          type: 'kubernetes.io/dockerconfigjson',
          metadata: { labels: { registry: 'ghcr' }, annotations: { user: '{{ .user }}' } },
          data: { '.dockerconfigjson': '{"auths":{"ghcr.io":{"auth":"{{ printf "%s:%s" .user .token | b64enc }}"}}}' },
          templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'app.env' }] } }],
        },
      },
      dataFrom: [{ extract: { key: `${p}/reg` } }],
    }, { labels: { 'not-copied': 'x' } });
    await waitReady(h.kube, ExternalSecrets, ns, 'regcred');
    const secret = await getSecret(h.kube, ns, 'regcred');
    assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson');
    assert.deepEqual(secretStrings(secret), {
      '.dockerconfigjson': `{"auths":{"ghcr.io":{"auth":"${Buffer.from('robot:t0k3n').toString('base64')}"}}}`,
      'app.env': 'REGISTRY_USER=robot\n',
    });
    assert.equal(secret?.metadata.labels?.registry, 'ghcr');
    assert.equal(secret?.metadata.labels?.['not-copied'], undefined);
    assert.equal(secret?.metadata.annotations?.user, 'robot');

    const before = secret?.metadata.resourceVersion;
    await h.kube.patch(ConfigMaps, 'tpl', ns, { data: { 'app.env': 'REGISTRY_USER={{ .user | oops }}' } }, 'merge');
    await h.kube.patch(ExternalSecrets, 'regcred', ns, { metadata: { annotations: { 'external-secrets.io/force-sync': '1' } } }, 'merge');
    const failed = await waitReady(h.kube, ExternalSecrets, ns, 'regcred', 'False');
    assert.match(readyOf(failed)?.message ?? '', /spec\.target\.template\.templateFrom\[0\]\.configMap\.items\[0\]: template: app\.env:1: function "oops" not defined/);
    assert.equal((await getSecret(h.kube, ns, 'regcred'))?.metadata.resourceVersion, before, 'the Secret is untouched');
  });

  test('Merge: a key the ExternalSecret stops producing is removed; other writers\' keys stay', async () => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('mergedrop');
    await putVaultKv2(h.env, `${p}/k`, { v: 'x' });
    await createVaultTokenStore(h, ns);
    await storeReady(ns);
    await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shared', namespace: ns }, stringData: { mine: 'keep' } } as never);
    await es(ns, 'm', { target: { name: 'shared', creationPolicy: 'Merge' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] });
    await waitFor(async () => secretStrings(await getSecret(h.kube, ns, 'shared')).v === 'x', { timeoutMs: 10_000, message: 'merged' });
    await h.kube.patch(ExternalSecrets, 'm', ns, { spec: { data: [{ secretKey: 'w', remoteRef: { key: `${p}/k`, property: 'v' } }] } }, 'merge');
    await waitFor(async () => JSON.stringify(secretStrings(await getSecret(h.kube, ns, 'shared'))) === JSON.stringify({ mine: 'keep', w: 'x' }), { timeoutMs: 10_000, message: 'v dropped, w added, mine kept' });
  });
});

