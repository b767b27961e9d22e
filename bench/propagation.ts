/**
 * Propagation: how long a value changed in the store takes to reach its Secret,
 * with N ExternalSecrets on one store held to a small call budget.
 *
 *   npm run bench:propagation -- [--es 1000] [--changes 20] [--budget 2] [--modes moto,openbao-audit,openbao-poll]
 *
 * Per mode, on a local control plane of its own with the real OpenBao or moto:
 *  - N ExternalSecrets each read one key of their own (synced at the default
 *    budget, then the store is held to --budget calls/s with hush.dev/calls-per-second);
 *  - each ExternalSecret's refreshInterval is the shortest the budget can keep
 *    for N keys through the store's change feed (the store's ReadBudget must stay
 *    within budget: that is checked);
 *  - --changes values are written at once, to keys spread over the N, and the
 *    time from each write's answer to its Secret's update is measured.
 *
 * Modes:
 *  - moto: Secrets Manager, change detection through ListSecrets;
 *  - openbao-audit: OpenBao with the socket audit device (--vault-audit-listen-addr);
 *  - openbao-poll: OpenBao, KV v2 metadata polled (one call per key per round).
 *
 * Beside each figure: the calls per second ESO's polling would need for the same
 * staleness, N ÷ staleness (ESO reads every key of every ExternalSecret on its own
 * timer, so a staleness of s seconds for N keys costs N/s calls a second). Prints a
 * Markdown table and writes JSON under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { allCrds } from '../src/api/index.ts';
import { Manager } from '../src/controllers/manager.ts';
import { ExternalSecrets, SecretStores } from '../src/controllers/resources.ts';
import { baoExpect } from '../src/devenv/openbao.ts';
import { Namespaces, Secrets, type KubeObject } from '../src/kube/resources.ts';
import { createControllerMetrics } from '../src/metrics/hush.ts';
import { EgressPolicy } from '../src/net/egress.ts';
import { startMoto } from '../src/providers/aws/testing/moto.ts';
import { providerFor, providerForWithAuditFeed } from '../src/providers/registry.ts';
import { parseListenAddress } from '../src/providers/vault/audit/address.ts';
import { AuditHub } from '../src/providers/vault/audit/hub.ts';
import { AuditListener } from '../src/providers/vault/audit/listener.ts';
import { formatGoDuration } from '../src/util/duration.ts';
import { silentLogger } from '../src/util/log.ts';
import { inParallel, installCrds, startBenchEnv, until, type BenchEnv } from './lib/env.ts';
import { checkoutFacts, machineFacts } from './lib/report.ts';

type Mode = 'moto' | 'openbao-audit' | 'openbao-poll';
const { values: args } = parseArgs({
  options: {
    es: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '20' },
    budget: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'moto,openbao-audit,openbao-poll' },
  },
});
const N = Number(args.es);
const CHANGES = Math.min(Number(args.changes), N);
const BUDGET = Number(args.budget);
const modes = args.modes.split(',').map((m) => m.trim()) as Mode[];
const root = new URL('..', import.meta.url).pathname;
const ns = 'bench-propagation';

interface ModeResult {
  mode: Mode;
  refreshInterval: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  esoCallsPerSecondForSameStaleness: number;
  storeCallsPerSecondMeasured: number;
  readBudget: string;
  note: string;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** The refreshInterval that keeps N keys within the budget through the mode's feed (seconds, at least 1). */
function intervalFor(mode: Mode): number {
  const callsPerRound = mode === 'moto' ? Math.max(1, Math.ceil(N / 100)) : mode === 'openbao-poll' ? N : Math.max(1, N);
  // openbao-audit: changes are pushed; the timer is only the safety net, kept within the budget too.
  return Math.max(1, Math.ceil(callsPerRound / BUDGET));
}

async function runMode(mode: Mode): Promise<ModeResult> {
  const b: BenchEnv = await startBenchEnv((line) => process.stderr.write(`[${mode}] ${line}\n`));
  const moto = mode === 'moto' ? await startMoto() : undefined;
  const saved = process.env.AWS_SECRETSMANAGER_ENDPOINT;
  let listener: AuditListener | undefined;
  try {
    const { kube, env } = b;
    await installCrds(kube, allCrds());
    await kube.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const intervalS = intervalFor(mode);
    const key = (i: number): string => `bench/k${String(i).padStart(5, '0')}`;

    // The store and its values.
    let write: (i: number, value: string) => Promise<void>;
    let providerSpec: Record<string, unknown>;
    let sm: SecretsManagerClient | undefined;
    if (moto) {
      process.env.AWS_SECRETSMANAGER_ENDPOINT = moto.endpoint;
      sm = new SecretsManagerClient({ region: 'eu-west-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench' } });
      await inParallel(Array.from({ length: N }, (_, i) => i), 8, async (i) => void (await sm!.send(new CreateSecretCommand({ Name: key(i), SecretString: 'v0' }))));
      write = async (i, value) => void (await sm!.send(new PutSecretValueCommand({ SecretId: key(i), SecretString: value })));
      await kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws', namespace: ns }, stringData: { id: 'AKIABENCH', secret: 'bench' } } as never);
      providerSpec = { aws: { service: 'SecretsManager', region: 'eu-west-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } } } };
    } else {
      await inParallel(Array.from({ length: N }, (_, i) => i), 8, async (i) => void (await baoExpect(env, 'POST', `/v1/secret/data/${key(i)}`, { data: { v: 'v0' } })));
      write = async (i, value) => void (await baoExpect(env, 'POST', `/v1/secret/data/${key(i)}`, { data: { v: value } }));
      await kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-token', namespace: ns }, stringData: { token: env.vaultToken } } as never);
      providerSpec = { vault: { server: env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } } };
    }
    let providers = providerFor;
    if (mode === 'openbao-audit') {
      if (!env.vaultAuditAddr) throw new Error('the dev OpenBao has no socket audit device');
      const hub = new AuditHub();
      listener = await AuditListener.start({ address: parseListenAddress(env.vaultAuditAddr), hub, logger: silentLogger });
      providers = providerForWithAuditFeed(hub);
    }
    await kube.create(SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'store', namespace: ns }, spec: { provider: providerSpec } } as never);

    const metrics = createControllerMetrics();
    const manager = new Manager({
      kube, logger: silentLogger, metrics, controllerClass: 'default', concurrency: 4, enableClusterStores: false, enableClusterExternalSecrets: false,
      providerFor: providers,
      egress: EgressPolicy.fromEnv({ HUSH_EGRESS_ALLOW: '127.0.0.1/32,::1/128' }),
    });
    const abort = new AbortController();
    const running = manager.run(abort.signal);
    try {
      await until(() => manager.isSynced(), { timeoutMs: 30_000, message: 'caches synced' });
      await until(async () => (await kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(SecretStores, 'store', ns))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false, { timeoutMs: 60_000, message: 'store Ready' });
      // Cold start at the provider's default budget; then the store is held to the bench's.
      await inParallel(Array.from({ length: N }, (_, i) => i), 8, async (i) => {
        await kube.create(ExternalSecrets, {
          apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: `es-${i}`, namespace: ns },
          spec: { refreshInterval: `${intervalS}s`, secretStoreRef: { name: 'store' }, data: [{ secretKey: 'v', remoteRef: { key: key(i), ...(moto ? {} : { property: 'v' }) } }] },
        } as never);
      });
      const managed = async (): Promise<number> => (await kube.list(Secrets, { namespace: ns, labelSelector: 'reconcile.external-secrets.io/managed=true', metadataOnly: true })).items.length;
      await until(async () => (await managed()) >= N, { timeoutMs: 900_000, intervalMs: 500, message: `${N} Secrets` });
      await kube.patch(SecretStores, 'store', ns, { metadata: { annotations: { 'hush.dev/calls-per-second': String(BUDGET) } } }, 'merge');
      // Let the cold start's last reads settle (the writes below land at random points of a round).
      await new Promise((r) => setTimeout(r, Math.min(intervalS, 20) * 1000 + 2000));

      const calls = (): number => ['read', 'batchRead', 'poll'].reduce((n, call) => n + ['success', 'error', 'throttled', 'timeout'].reduce((m, outcome) => m + metrics.storeCalls.get({ kind: 'SecretStore', namespace: ns, name: 'store', call, outcome }), 0), 0);
      const c0 = calls();
      const w0 = performance.now();
      const picks = Array.from({ length: CHANGES }, (_, j) => Math.floor((j * N) / CHANGES));
      const writtenAt = new Map<number, number>();
      await Promise.all(picks.map(async (i) => {
        await write(i, `changed-${i}`);
        writtenAt.set(i, performance.now());
      }));
      const arrived = new Map<number, number>();
      const deadline = performance.now() + Math.max(120_000, intervalS * 3000);
      while (arrived.size < picks.length && performance.now() < deadline) {
        await Promise.all(picks.filter((i) => !arrived.has(i)).map(async (i) => {
          const s = await kube.get<KubeObject & { data?: Record<string, string> }>(Secrets, `es-${i}`, ns);
          if (Buffer.from(s?.data?.v ?? '', 'base64').toString('utf8') === `changed-${i}`) arrived.set(i, performance.now());
        }));
        await new Promise((r) => setTimeout(r, 50));
      }
      const spanS = (performance.now() - w0) / 1000;
      const rate = (calls() - c0) / spanS;
      const durations = picks.map((i) => (arrived.get(i) ?? NaN) - writtenAt.get(i)!);
      const missing = durations.filter((d) => Number.isNaN(d)).length;
      const budgetCond = (await kube.get<KubeObject & { status?: { conditions?: { type: string; status: string; message?: string }[] } }>(SecretStores, 'store', ns))?.status?.conditions?.find((c) => c.type === 'ReadBudget');
      const ok = durations.filter((d) => !Number.isNaN(d));
      const p50 = percentile(ok, 50);
      return {
        mode,
        refreshInterval: formatGoDuration(intervalS * 1000),
        p50Ms: Math.round(p50),
        p99Ms: Math.round(percentile(ok, 99)),
        maxMs: Math.round(Math.max(...ok)),
        esoCallsPerSecondForSameStaleness: Number((N / (p50 / 1000)).toFixed(0)),
        storeCallsPerSecondMeasured: Number(rate.toFixed(2)),
        readBudget: budgetCond ? `${budgetCond.status}: ${budgetCond.message ?? ''}` : 'none',
        note: missing > 0 ? `${missing} of ${CHANGES} changes did not arrive within the deadline` : '',
      };
    } finally {
      abort.abort();
      await running.catch(() => undefined);
    }
  } finally {
    await listener?.close();
    if (saved === undefined) delete process.env.AWS_SECRETSMANAGER_ENDPOINT;
    else process.env.AWS_SECRETSMANAGER_ENDPOINT = saved;
    await moto?.stop();
    await b.stop();
  }
}

const results: ModeResult[] = [];
for (const m of modes) results.push(await runMode(m));
const at = new Date().toISOString();
const out = { scenario: 'propagation', parameters: { externalSecrets: N, changes: CHANGES, budgetCallsPerSecond: BUDGET }, results, machine: machineFacts(), checkout: checkoutFacts(root), at };
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `propagation-${at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`${N} ExternalSecrets on one store, ${CHANGES} values changed at once, budget ${BUDGET} calls/s\n`);
console.log('| mode | refreshInterval | p50 | p99 | store calls/s measured | ESO calls/s for the same staleness (N ÷ p50) | ReadBudget |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.mode} | ${r.refreshInterval} | ${(r.p50Ms / 1000).toFixed(2)} s | ${(r.p99Ms / 1000).toFixed(2)} s | ${r.storeCallsPerSecondMeasured} | ${r.esoCallsPerSecondForSameStaleness} | ${r.readBudget.split(':')[0]} |${r.note ? ` ${r.note}` : ''}`);
}
console.log(`\nJSON: ${file}`);
