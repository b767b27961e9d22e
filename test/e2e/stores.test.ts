/**
 * Stores end to end: validation and Ready, ClusterSecretStore conditions,
 * controller classes, unsupported providers, and an OpenBao outage with
 * recovery within seconds of the store coming back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  trackClusterObject,
  cleanupCreated,
  ClusterSecretStores,
  ExternalSecrets,
  SecretStores,
  Secrets,
  createNamespace,
  createVaultTokenStore,
  getSecret,
  harness,
  putVaultKv2,
  readyOf,
  secretStrings,
  startController,
  uniqueName,
  waitReady,
  type Harness,
  type RunningController,
} from '../support/harness.ts';
import { startComponent, stopComponent, waitFor } from '../support/index.ts';

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

async function clusterStore(name: string, conditions?: unknown[], extra: Record<string, unknown> = {}) {
  const tokenNs = await createNamespace(h.kube, 'css-auth');
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: tokenNs }, stringData: { token: h.env.vaultToken } } as never);
  trackClusterObject(h.kube, ClusterSecretStores, name);
  await h.kube.create(ClusterSecretStores, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name },
    spec: {
      ...(conditions ? { conditions } : {}),
      ...extra,
      provider: { vault: { server: h.env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'token', key: 'token', namespace: tokenNs } } } },
    },
  } as never);
}

async function esUsing(ns: string, name: string, storeName: string, key: string) {
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: { refreshInterval: '1h', secretStoreRef: { name: storeName, kind: 'ClusterSecretStore' }, data: [{ secretKey: 'v', remoteRef: { key, property: 'v' } }] },
  } as never);
}

describe('stores', () => {
  test('a SecretStore with working credentials turns Ready=True/Valid; wrong credentials give a clear reason', async () => {
    const ns = await createNamespace(h.kube);
    await createVaultTokenStore(h, ns);
    const ok = await waitReady(h.kube, SecretStores, ns, 'vault');
    assert.equal(readyOf(ok)?.reason, 'Valid');

    await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad-token', namespace: ns }, stringData: { token: 'not-a-token' } } as never);
    await h.kube.create(SecretStores, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'bad', namespace: ns },
      spec: { provider: { vault: { server: h.env.vaultAddr, path: 'secret', auth: { tokenSecretRef: { name: 'bad-token', key: 'token' } } } } },
    } as never);
    const bad = await waitReady(h.kube, SecretStores, ns, 'bad', 'False');
    assert.equal(readyOf(bad)?.reason, 'InvalidProviderConfig');
    assert.match(readyOf(bad)?.message ?? '', /permission denied|invalid token|403/i);
    assert.doesNotMatch(readyOf(bad)?.message ?? '', /not-a-token/);
  });

  test('a provider Hush does not implement yet is accepted by the API and reported as not supported', async () => {
    const ns = await createNamespace(h.kube);
    await h.kube.create(SecretStores, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'doppler', namespace: ns },
      spec: { provider: { doppler: { auth: { secretRef: { dopplerToken: { name: 'x', key: 'y' } } } } } },
    } as never);
    const st = await waitReady(h.kube, SecretStores, ns, 'doppler', 'False');
    assert.match(readyOf(st)?.message ?? '', /provider "doppler" is not supported yet/);
  });

  test('ClusterSecretStore conditions allow listed namespaces, selectors and regexes, and deny the rest', async () => {
    const store = uniqueName('css');
    const p = uniqueName('css');
    await putVaultKv2(h.env, `${p}/k`, { v: 'shared' });
    const byName = await createNamespace(h.kube, 'byname');
    const byLabel = await createNamespace(h.kube, 'bylabel', { team: 'payments' });
    const byRegex = await createNamespace(h.kube, 'rx-allowed');
    const denied = await createNamespace(h.kube, 'denied');
    await clusterStore(store, [{ namespaces: [byName] }, { namespaceSelector: { matchLabels: { team: 'payments' } } }, { namespaceRegexes: ['^rx-allowed-'] }]);
    await waitReady(h.kube, ClusterSecretStores, undefined, store);
    for (const ns of [byName, byLabel, byRegex, denied]) await esUsing(ns, 'x', store, `${p}/k`);
    for (const ns of [byName, byLabel, byRegex]) {
      await waitReady(h.kube, ExternalSecrets, ns, 'x');
      assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'x')), { v: 'shared' });
    }
    const no = await waitReady(h.kube, ExternalSecrets, denied, 'x', 'False');
    assert.match(readyOf(no)?.message ?? '', new RegExp(`not allowed from namespace "${denied}"`));
    assert.equal(await getSecret(h.kube, denied, 'x'), undefined);
  });

  test('a store of another controller class is left alone, and so are the ExternalSecrets that use it', async () => {
    const ns = await createNamespace(h.kube);
    await h.kube.create(SecretStores, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'other', namespace: ns },
      spec: { controller: 'someone-else', provider: { vault: { server: h.env.vaultAddr, auth: { tokenSecretRef: { name: 't', key: 'token' } } } } },
    } as never);
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'x', namespace: ns },
      spec: { secretStoreRef: { name: 'other' }, data: [{ secretKey: 'v', remoteRef: { key: 'a' } }] },
    } as never);
    // Positive sentinels, created after the objects under test so that the (FIFO) queues hand them
    // out later: a store of our class gets its status, and an ExternalSecret of a store that does
    // not exist fails — each a slower path than the skip the foreign objects take.
    await h.kube.create(SecretStores, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'ours', namespace: ns },
      spec: { provider: { vault: { server: h.env.vaultAddr, auth: { tokenSecretRef: { name: 't', key: 'token' } } } } },
    } as never);
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'sentinel', namespace: ns },
      spec: { secretStoreRef: { name: 'absent' }, data: [{ secretKey: 'v', remoteRef: { key: 'a' } }] },
    } as never);
    await waitReady(h.kube, SecretStores, ns, 'ours', 'False');
    await waitReady(h.kube, ExternalSecrets, ns, 'sentinel', 'False');
    const st = await h.kube.get<{ metadata: { name: string }; status?: unknown }>(SecretStores, 'other', ns);
    const es = await h.kube.get<{ metadata: { name: string; finalizers?: string[] }; status?: unknown }>(ExternalSecrets, 'x', ns);
    assert.equal(readyOf(st as never), undefined, 'store not touched');
    assert.equal(es?.status, undefined, 'ExternalSecret not touched');
  });

  test('OpenBao outage: the Secret stays as it was, and syncs again within seconds of OpenBao coming back', async (t) => {
    const ns = await createNamespace(h.kube);
    const p = uniqueName('outage');
    await putVaultKv2(h.env, `${p}/k`, { v: 'before' });
    await createVaultTokenStore(h, ns);
    await waitReady(h.kube, SecretStores, ns, 'vault');
    await h.kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'o', namespace: ns },
      spec: { refreshInterval: '2s', secretStoreRef: { name: 'vault' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    } as never);
    await waitReady(h.kube, ExternalSecrets, ns, 'o');
    const before = await getSecret(h.kube, ns, 'o');

    const errors = () => ctl.metrics.syncErrors.get({ name: 'o', namespace: ns });
    const errorsBefore = errors();
    await stopComponent(h.env, 'openbao');
    // The ExternalSecret's own per-key backoff doubles from 1 s with up to 20 % jitter: after its
    // 5th failure its next attempt is at least 16 s away. Waiting for that failure (instead of a
    // fixed pause) makes "recovered sooner than that" prove the store's recovery woke it.
    const FAILURES = 5;
    const OWN_RETRY_MS = 16_000;
    let lastFailureAt: number;
    try {
      const failed = await waitReady(h.kube, ExternalSecrets, ns, 'o', 'False', 30_000);
      // The cause, not the store's name ("vault") or the word every failure carries.
      t.diagnostic(`outage message: ${readyOf(failed)?.message ?? ''}`);
      assert.match(readyOf(failed)?.message ?? '', /ECONNREFUSED|connection refused|unavailable|unreachable|timed out/i);
      await waitReady(h.kube, SecretStores, ns, 'vault', 'False', 30_000);
      const during = await getSecret(h.kube, ns, 'o');
      assert.equal(during?.metadata.resourceVersion, before?.metadata.resourceVersion, 'Secret unchanged during the outage');
      await waitFor(() => errors() - errorsBefore >= FAILURES, { timeoutMs: 40_000, intervalMs: 20, message: `${FAILURES} failed attempts during the outage` });
      lastFailureAt = performance.now();
    } finally {
      await startComponent(h.env, 'openbao');
    }
    const restartedAt = performance.now();
    const errorsAtRestart = errors();
    // The dev server keeps data in memory: re-seed, as a real store would still have it.
    await putVaultKv2(h.env, `${p}/k`, { v: 'after' });
    // What proves the wake-up is the first attempt after the restart. Usually it syncs. When the
    // store's re-check wins the race with the re-seed above, that attempt finds the key missing
    // (a counted failure) — it still came from the store's recovery, well before the
    // ExternalSecret's own retry.
    const synced = async () => secretStrings(await getSecret(h.kube, ns, 'o')).v === 'after';
    await waitFor(async () => (await synced()) || errors() > errorsAtRestart, { timeoutMs: 20_000, intervalMs: 50, message: 'an attempt after recovery' });
    const attemptAt = performance.now();
    const raced = !(await synced());
    const sinceFailure = attemptAt - lastFailureAt;
    const sinceRestart = attemptAt - restartedAt;
    t.diagnostic(`first attempt ${Math.round(sinceRestart)} ms after OpenBao came back, ${Math.round(sinceFailure)} ms after the last failed attempt${raced ? ' (before the re-seed: key missing)' : ' (synced)'}`);
    // Margins: the store's own re-check is capped at 5 s (+20 % jitter) and the poll above adds
    // ~100 ms, so 8 s after OpenBao is back; the own retry is >= 16 s after the last failure.
    assert.ok(sinceRestart < 8_000, `first attempt ${Math.round(sinceRestart)} ms after OpenBao came back`);
    assert.ok(sinceFailure < OWN_RETRY_MS - 1_000, `first attempt ${Math.round(sinceFailure)} ms after the last failure: before the ExternalSecret's own retry`);
    // And it does sync again (after a raced attempt, on its own backoff).
    await waitFor(synced, { timeoutMs: 60_000, message: 'synced after recovery' });
    await waitReady(h.kube, ExternalSecrets, ns, 'o');
  });
});
