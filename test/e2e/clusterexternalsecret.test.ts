/** ClusterExternalSecret end to end: fan-out, namespace label changes, ownership, status. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { trackClusterObject, cleanupCreated, ExternalSecrets, Namespaces, Secrets, createNamespace, getSecret, harness, putVaultKv2, secretStrings, startController, uniqueName, type Harness, type RunningController } from '../support/harness.ts';
import { ClusterExternalSecrets, ClusterSecretStores } from '../../src/controllers/resources.ts';
import { waitFor } from '../support/index.ts';

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

interface CesView {
  metadata: { name: string };
  status?: { provisionedNamespaces?: string[]; failedNamespaces?: { namespace: string; reason?: string }[]; conditions?: { type: string; status: string }[] };
}

test('a ClusterExternalSecret follows namespace labels and reports provisioned and failed namespaces', async () => {
  const label = uniqueName('tenant');
  const p = uniqueName('ces');
  await putVaultKv2(h.env, `${p}/k`, { v: 'fan-out' });
  const authNs = await createNamespace(h.kube, 'ces-auth');
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: authNs }, stringData: { token: h.env.vaultToken } } as never);
  const store = uniqueName('ces-store');
  await h.kube.create(ClusterSecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: store },
    spec: { provider: { vault: { server: h.env.vaultAddr, path: 'secret', auth: { tokenSecretRef: { name: 'token', key: 'token', namespace: authNs } } } } },
  } as never);
  trackClusterObject(h.kube, ClusterSecretStores, store);
  const a = await createNamespace(h.kube, 'ces-a', { [label]: 'yes' });
  const b = await createNamespace(h.kube, 'ces-b', { [label]: 'yes' });
  const c = await createNamespace(h.kube, 'ces-c');
  // A foreign ExternalSecret with the same name makes namespace b fail.
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'shared', namespace: b },
    spec: { secretStoreRef: { name: store, kind: 'ClusterSecretStore' }, data: [{ secretKey: 'x', remoteRef: { key: 'nothing' } }] },
  } as never);
  const name = uniqueName('ces');
  trackClusterObject(h.kube, ClusterExternalSecrets, name);
  await h.kube.create(ClusterExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ClusterExternalSecret', metadata: { name },
    spec: {
      externalSecretName: 'shared',
      namespaceSelectors: [{ matchLabels: { [label]: 'yes' } }],
      refreshTime: '1m',
      externalSecretSpec: { refreshInterval: '1h', secretStoreRef: { name: store, kind: 'ClusterSecretStore' }, data: [{ secretKey: 'v', remoteRef: { key: `${p}/k`, property: 'v' } }] },
    },
  } as never);

  await waitFor(async () => secretStrings(await getSecret(h.kube, a, 'shared')).v === 'fan-out', { timeoutMs: 20_000, message: 'synced in namespace a' });
  const st = await waitFor(async () => {
    const o = await h.kube.get<CesView>(ClusterExternalSecrets, name);
    return o?.status?.failedNamespaces?.length ? o : undefined;
  }, { timeoutMs: 10_000, message: 'CES status' });
  assert.deepEqual(st.status?.provisionedNamespaces, [a]);
  assert.equal(st.status?.failedNamespaces?.[0]?.namespace, b);
  assert.match(st.status?.failedNamespaces?.[0]?.reason ?? '', /did not create/);
  assert.equal(st.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'False');

  // Labelling c brings it in; unlabelling a takes its ExternalSecret away.
  await h.kube.patch(Namespaces, c, undefined, { metadata: { labels: { [label]: 'yes' } } }, 'merge');
  await waitFor(async () => secretStrings(await getSecret(h.kube, c, 'shared')).v === 'fan-out', { timeoutMs: 20_000, message: 'synced in namespace c' });
  await h.kube.patch(Namespaces, a, undefined, { metadata: { labels: { [label]: null } } }, 'merge');
  await waitFor(async () => (await h.kube.get(ExternalSecrets, 'shared', a)) === undefined, { timeoutMs: 20_000, message: 'ExternalSecret removed from a' });
  const later = await waitFor(async () => {
    const o = await h.kube.get<CesView>(ClusterExternalSecrets, name);
    return JSON.stringify(o?.status?.provisionedNamespaces) === JSON.stringify([c]) ? o : undefined;
  }, { timeoutMs: 10_000, message: 'provisioned = [c]' });
  assert.ok(later);

  // Deleting the ClusterExternalSecret lets the garbage collector remove its ExternalSecrets.
  await h.kube.delete(ClusterExternalSecrets, name, undefined, { propagationPolicy: 'Background' });
  await waitFor(async () => (await h.kube.get(ExternalSecrets, 'shared', c)) === undefined, { timeoutMs: 30_000, message: 'GC removed the child ExternalSecret' });
  assert.ok(await h.kube.get(ExternalSecrets, 'shared', b), 'the foreign ExternalSecret is untouched');
});
