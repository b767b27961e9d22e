/**
 * What reading stores costs: shared keys and a quiet steady state, against the
 * real OpenBao on a local control plane of its own.
 *
 *   npm run bench:reads -- [--es 100] [--keys 10] [--interval 10s] [--rounds 3]
 *
 *  - shared keys: N ExternalSecrets read the same K keys (each key twice, by two
 *    properties). Reported: store calls to sync them all, and calls per refresh
 *    round. The target is K, the distinct count. ESO reads every data[] entry of
 *    every ExternalSecret on its own timer: 2·K·N calls per round.
 *  - steady state: nothing changes in the store for `rounds` intervals. Reported:
 *    Secret writes and ExternalSecret status writes (the target is 0) and store
 *    calls per minute.
 *
 * Store calls are the governor's own count (hush_store_calls_total); writes are
 * counted from the API server's resourceVersions. Prints a Markdown table and
 * writes JSON under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allCrds } from '../src/api/index.ts';
import { Manager } from '../src/controllers/manager.ts';
import { ExternalSecrets, SecretStores } from '../src/controllers/resources.ts';
import { baoExpect } from '../src/devenv/openbao.ts';
import { Namespaces, Secrets, type KubeObject } from '../src/kube/resources.ts';
import { createControllerMetrics } from '../src/metrics/hush.ts';
import { EgressPolicy } from '../src/net/egress.ts';
import { parseGoDuration } from '../src/util/duration.ts';
import { silentLogger } from '../src/util/log.ts';
import { installCrds, startBenchEnv, until } from './lib/env.ts';
import { checkoutFacts, machineFacts } from './lib/report.ts';

const { values: args } = parseArgs({
  options: { es: { type: 'string', default: '100' }, keys: { type: 'string', default: '10' }, interval: { type: 'string', default: '10s' }, rounds: { type: 'string', default: '3' } },
});
const N = Number(args.es);
const K = Number(args.keys);
const intervalMs = parseGoDuration(args.interval, '--interval');
const rounds = Number(args.rounds);
const root = new URL('..', import.meta.url).pathname;

const b = await startBenchEnv((line) => process.stderr.write(`${line}\n`));
try {
  const { kube, env } = b;
  await installCrds(kube, allCrds());
  const ns = 'bench-reads';
  await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (let k = 0; k < K; k++) await baoExpect(env, 'POST', `/v1/secret/data/bench/k${k}`, { data: { user: `u${k}`, password: `p${k}` } });
  await kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-token', namespace: ns }, stringData: { token: env.vaultToken } } as never);
  await kube.create(SecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'vault', namespace: ns },
    spec: { provider: { vault: { server: env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } } } },
  } as never);

  const metrics = createControllerMetrics();
  const manager = new Manager({
    kube, logger: silentLogger, metrics, controllerClass: 'default', concurrency: 4, enableClusterStores: false, enableClusterExternalSecrets: false,
    // The dev OpenBao listens on loopback, which only `hush dev env`'s allowance opens.
    egress: EgressPolicy.fromEnv({ HUSH_EGRESS_ALLOW: '127.0.0.1/32,::1/128' }),
  });
  const abort = new AbortController();
  const running = manager.run(abort.signal);
  await until(() => manager.isSynced(), { timeoutMs: 30_000, message: 'caches synced' });
  await until(async () => (await kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(SecretStores, 'vault', ns))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, { timeoutMs: 30_000, message: 'store Ready' });
  const callsOf = (kinds: string[]): number => kinds.reduce((n, call) => n + ['success', 'error', 'throttled', 'timeout'].reduce((m, outcome) => m + metrics.storeCalls.get({ kind: 'SecretStore', namespace: ns, name: 'vault', call, outcome }), 0), 0);
  // Value reads, and every call a refresh makes (KV v2 stores poll metadata instead of reading values).
  const calls = (): number => callsOf(['read']);
  const refreshCalls = (): number => callsOf(['read', 'poll']);

  // Shared keys: N ExternalSecrets × K keys × 2 properties.
  const c0 = calls();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    await kube.create(ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: ns },
      spec: {
        refreshInterval: args.interval, secretStoreRef: { name: 'vault' },
        data: Array.from({ length: K }, (_, k) => [
          { secretKey: `user${k}`, remoteRef: { key: `bench/k${k}`, property: 'user' } },
          { secretKey: `password${k}`, remoteRef: { key: `bench/k${k}`, property: 'password' } },
        ]).flat(),
      },
    } as never);
  }
  const managed = async (): Promise<KubeObject[]> => (await kube.list(Secrets, { namespace: ns, labelSelector: 'reconcile.external-secrets.io/managed=true', metadataOnly: true })).items;
  await until(async () => (await managed()).length >= N, { timeoutMs: 600_000, intervalMs: 250, message: `${N} Secrets` });
  const syncMs = performance.now() - t0;
  const callsToSync = calls() - c0;

  // Steady state: rounds of the interval with nothing changing. Writes are counted by resourceVersion.
  const versions = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const s of await managed()) out.set(`Secret/${s.metadata.name}`, s.metadata.resourceVersion ?? '');
    for (const e of (await kube.list(ExternalSecrets, { namespace: ns, metadataOnly: true })).items) out.set(`ExternalSecret/${e.metadata.name}`, e.metadata.resourceVersion ?? '');
    return out;
  };
  // One interval first, so that the refresh timers of the cold start are behind us.
  await new Promise((r) => setTimeout(r, intervalMs));
  const before = await versions();
  const c1 = refreshCalls();
  const r1 = calls();
  const s0 = performance.now();
  await new Promise((r) => setTimeout(r, rounds * intervalMs));
  const steadyMs = performance.now() - s0;
  const steadyCalls = refreshCalls() - c1;
  const steadyValueReads = calls() - r1;
  const after = await versions();
  let secretWrites = 0;
  let statusWrites = 0;
  for (const [k, v] of after) {
    if (before.get(k) === v) continue;
    if (k.startsWith('Secret/')) secretWrites++;
    else statusWrites++;
  }

  abort.abort();
  await running;

  const esoPerRound = 2 * K * N;
  const perRound = steadyCalls / (steadyMs / intervalMs);
  const result = {
    scenario: 'reads',
    parameters: { externalSecrets: N, keys: K, entriesPerExternalSecret: 2 * K, refreshInterval: args.interval, steadyRounds: rounds },
    sharedKeys: { syncMs: Math.round(syncMs), storeCallsToSync: callsToSync, target: K, esoCallsToSync: esoPerRound },
    steadyState: { seconds: Number((steadyMs / 1000).toFixed(1)), storeCalls: steadyCalls, valueReads: steadyValueReads, callsPerRound: Number(perRound.toFixed(1)), callsPerMinute: Number(((steadyCalls / steadyMs) * 60_000).toFixed(1)), esoCallsPerRound: esoPerRound, secretWrites, statusWrites },
    machine: machineFacts(),
    checkout: checkoutFacts(root),
    at: new Date().toISOString(),
  };
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `reads-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`| scenario | Hush | target | ESO (computed: every entry of every ExternalSecret) |`);
  console.log(`| --- | --- | --- | --- |`);
  console.log(`| shared keys: store calls to sync ${N} ExternalSecrets × ${2 * K} entries over ${K} keys | ${callsToSync} (${(syncMs / 1000).toFixed(1)} s) | ${K} | ${esoPerRound} |`);
  console.log(`| shared keys: store calls per refresh round (${args.interval}) | ${perRound.toFixed(1)} | ${K} | ${esoPerRound} |`);
  console.log(`| steady state: Secret writes / status writes in ${(steadyMs / 1000).toFixed(0)} s | ${secretWrites} / ${statusWrites} | 0 / 0 | ${N} status writes per round |`);
  console.log(`| steady state: store calls per minute (value reads among them) | ${result.steadyState.callsPerMinute} (${steadyValueReads}) | ${((K * 60_000) / intervalMs).toFixed(1)} | ${((esoPerRound * 60_000) / intervalMs).toFixed(0)} |`);
  console.log(`\nJSON: ${file}`);
} finally {
  await b.stop();
}
