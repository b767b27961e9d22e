/**
 * How fast the controller syncs many ExternalSecrets, and what it costs.
 *
 *   bash scripts/with-node.sh node bench/sync.ts [count] [concurrency]
 *
 * Starts its own local control plane (and stops it), creates `count`
 * ExternalSecrets in one namespace against a `fake` store (so the store's own
 * latency is not measured), and reports: time until every one is Ready and its
 * Secret exists, Secret writes, heap and RSS of the controller process, and
 * the time to notice and repair a deleted Secret. Numbers go to stdout as JSON.
 */
import { Namespaces, Secrets } from '../src/kube/resources.ts';
import { allCrds } from '../src/api/index.ts';
import { Manager } from '../src/controllers/manager.ts';
import { createControllerMetrics } from '../src/metrics/hush.ts';
import { silentLogger } from '../src/util/log.ts';
import { ExternalSecrets, SecretStores } from '../src/controllers/resources.ts';
import { installCrds, startBenchEnv, until } from './lib/env.ts';

const count = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 4);
const b = await startBenchEnv();

try {
  const { kube } = b;
  await installCrds(kube, allCrds());
  const ns = 'bench';
  await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake', namespace: ns },
    spec: { provider: { fake: { data: [{ key: 'db', value: '{"user":"u","password":"p"}' }] } } },
  } as never);

  const metrics = createControllerMetrics();
  const manager = new Manager({ kube, logger: silentLogger, metrics, controllerClass: 'default', concurrency, enableClusterStores: true, enableClusterExternalSecrets: false });
  const abort = new AbortController();
  const running = manager.run(abort.signal);
  await until(() => manager.isSynced(), { timeoutMs: 30_000, message: 'caches synced' });
  const heapBefore = process.memoryUsage().heapUsed;

  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: ns },
      spec: { refreshInterval: '1h', secretStoreRef: { name: 'fake' }, dataFrom: [{ extract: { key: 'db' } }] },
    } as never);
  }
  const created = performance.now();
  await until(async () => (await kube.list(Secrets, { namespace: ns, labelSelector: 'reconcile.external-secrets.io/managed=true', metadataOnly: true })).items.length >= count, { timeoutMs: 600_000, message: `${count} Secrets` });
  const synced = performance.now();

  const r0 = performance.now();
  await kube.delete(Secrets, 'es-0', ns);
  await until(async () => (await kube.get(Secrets, 'es-0', ns)) !== undefined, { timeoutMs: 30_000, message: 'Secret es-0 restored' });
  const repaired = performance.now();

  const mem = process.memoryUsage();
  abort.abort();
  await running;
  console.log(JSON.stringify({
    externalSecrets: count,
    concurrency,
    createMs: Math.round(created - t0),
    allSyncedMs: Math.round(synced - t0),
    syncedPerSecond: Number((count / ((synced - t0) / 1000)).toFixed(1)),
    driftRepairMs: Math.round(repaired - r0),
    secretWrites: metrics.secretWrites.get({ operation: 'create' }) + metrics.secretWrites.get({ operation: 'update' }),
    heapGrowthMB: Number(((mem.heapUsed - heapBefore) / 1e6).toFixed(1)),
    rssMB: Number((mem.rss / 1e6).toFixed(1)),
    note: 'controller, API server, etcd and this client share 2 cores; creation and sync overlap',
  }, null, 2));
} finally {
  await b.stop();
}
