import { test } from 'node:test';
import { devEgressPolicy } from '../../net/testing/egress.ts';
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

test("a store's budget comes from its provider and its hush.dev/ annotations; a bad annotation names itself and the fix; a dropped client is reported", async () => {
  const { StoreResolver } = await import('./resolver.ts');
  const { silentLogger } = await import('../../util/log.ts');
  const store = {
    metadata: { name: 'vault', namespace: 'ns', uid: 'u', generation: 1, annotations: { 'hush.dev/calls-per-second': '2', 'hush.dev/call-timeout': '5s' } as Record<string, string> },
    spec: { provider: { fake: { data: [] } } },
    status: { conditions: [{ type: 'Ready', status: 'True' as const }] },
  };
  // The resolver reads stores from informer caches; a plain lookup stands in for them here.
  const cache = { get: (name: string) => (name === 'vault' ? store : undefined), list: () => [] };
  let connects = 0;
  const provider = {
    name: 'fake',
    metricsName: 'Fake',
    validateStore: () => [],
    connect: () => {
      connects++;
      return Promise.resolve({ projection: { value: () => new Uint8Array(), map: () => new Map() }, read: () => Promise.reject(new Error('unused')), findSecrets: () => Promise.reject(new Error('unused')), validate: () => Promise.resolve({ state: 'Ready' as const, message: 'ok' }), close: () => Promise.resolve() });
    },
  };
  const dropped: string[] = [];
  const resolver = new StoreResolver({
    kube: { server: 'https://x', caPem: undefined } as never,
    stores: cache as never,
    clusterStores: cache as never,
    namespaces: cache as never,
    providerFor: (k) => (k === 'fake' ? provider : undefined),
    controllerClass: 'default',
    recordCall: () => undefined,
    logger: silentLogger,
    egress: devEgressPolicy(),
    onClientDropped: (id) => dropped.push(id),
  });
  const r = await resolver.resolve('ns', { name: 'vault' }, 'spec.secretStoreRef');
  assert.deepEqual(r.budget, { callsPerSecond: 2, burst: 2, concurrency: 16, callTimeoutMs: 5000 });
  assert.equal(r.clientId, 'SecretStore/ns/vault');
  store.metadata.annotations['hush.dev/calls-per-second'] = 'fast';
  await assert.rejects(resolver.resolve('ns', { name: 'vault' }, 'spec.secretStoreRef'), (err: Error & { code?: string }) =>
    err.code === 'InvalidConfig' && err.message === 'SecretStore "ns/vault": metadata.annotations["hush.dev/calls-per-second"]: "fast" is not valid; use a number of calls per second above 0, such as "2" or "0.5"');
  assert.equal(connects, 1, 'one client');
  resolver.forgetStore('SecretStore', 'ns', 'vault');
  assert.deepEqual(dropped, ['SecretStore/ns/vault']);
});

test('--webhook-provider-cluster-stores-only refuses webhook SecretStores before connecting; ClusterSecretStores and the scope each store kind gets', async () => {
  const { StoreResolver } = await import('./resolver.ts');
  const { silentLogger } = await import('../../util/log.ts');
  const store = (namespace?: string) => ({
    metadata: { name: 'hook', ...(namespace ? { namespace } : {}), uid: `u-${namespace ?? 'cluster'}`, generation: 1 },
    spec: { provider: { webhook: { url: 'https://example.com/{{ .remoteRef.key }}' } } },
    status: { conditions: [{ type: 'Ready', status: 'True' as const }] },
  });
  const nsStore = store('ns');
  const clusterStore = store();
  const scopes: string[] = [];
  const provider = {
    name: 'webhook',
    metricsName: 'Webhook',
    validateStore: () => [],
    connect: (ctx: { egress: { scope: string } }) => {
      scopes.push(ctx.egress.scope);
      return Promise.resolve({ projection: { value: () => new Uint8Array(), map: () => new Map() }, read: () => Promise.reject(new Error('unused')), findSecrets: () => Promise.reject(new Error('unused')), validate: () => Promise.resolve({ state: 'Ready' as const, message: 'ok' }), close: () => Promise.resolve() });
    },
  };
  const make = (only: boolean) =>
    new StoreResolver({
      kube: { server: 'https://x', caPem: undefined } as never,
      stores: { get: () => nsStore, list: () => [] } as never,
      clusterStores: { get: () => clusterStore, list: () => [] } as never,
      namespaces: { get: () => undefined, list: () => [] } as never,
      providerFor: (k) => (k === 'webhook' ? provider : undefined),
      controllerClass: 'default',
      recordCall: () => undefined,
      logger: silentLogger,
      egress: devEgressPolicy(),
      webhookClusterStoresOnly: only,
    });
  const strict = make(true);
  await assert.rejects(strict.resolve('ns', { name: 'hook' }, 'spec.secretStoreRef'), (err: Error & { code?: string }) =>
    err.code === 'NotSupported' && /SecretStore "ns\/hook": the webhook provider is limited to ClusterSecretStores on this controller \(--webhook-provider-cluster-stores-only\)/.test(err.message));
  assert.deepEqual(scopes, [], 'refused before connect');
  await strict.resolve('ns', { name: 'hook', kind: 'ClusterSecretStore' }, 'spec.secretStoreRef');
  await make(false).resolve('ns', { name: 'hook' }, 'spec.secretStoreRef');
  assert.deepEqual(scopes, ['cluster', 'tenant'], 'a ClusterSecretStore connects in the cluster scope, a SecretStore in the tenant scope');
  await strict.closeAll();
});
